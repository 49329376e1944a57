// A one-off's time to live (`tug run:detached --ttl`, Heroku's `time_to_live`): once it is over, the
// dyno is stopped. The release phase has none: it runs as long as it needs.
import type {ManagedDyno, PlatformEvent} from '../contracts.js'

export interface TimeToLiveContext {
  /** The dyno's time to live in seconds, from its record; null or 0 for none. */
  timeToLive(appId: string, dynoId: string): number | null | undefined
  event: PlatformEvent
}

export class TimeToLive {
  constructor(private readonly context: TimeToLiveContext) {}

  /** Arms the dyno's timer once its process runs. */
  spawned(dyno: ManagedDyno): void {
    if (!dyno.oneOff || dyno.type === 'release') return
    const ttl = this.context.timeToLive(dyno.appId, dyno.dynoId)
    if (!ttl) return
    dyno.arm('ttl', ttl * 1000, () => {
      this.context.event(dyno.appId, dyno.name, `Stopping process: its time to live of ${ttl} seconds is over`)
      void dyno.stop('ttl')
    })
  }
}
