import type {Database} from 'better-sqlite3'
import {toTimestamp, type Clock} from './clock.js'

export interface RuntimeSettings {
  /** SIGTERM to SIGKILL, in ms; null = the control plane's default (30 s). */
  stop_grace_ms: number | null
}

/** Per-app settings of the dyno manager that are not config vars (the dynos never see them). */
export class RuntimeSettingsRepository {
  constructor(private readonly db: Database, private readonly clock: Clock) {}

  get(appId: string): RuntimeSettings {
    const row = this.db
      .prepare<[string], RuntimeSettings>('SELECT stop_grace_ms FROM runtime_settings WHERE app_id = ?')
      .get(appId)
    return row ?? {stop_grace_ms: null}
  }

  set(appId: string, settings: RuntimeSettings): void {
    this.db
      .prepare(
        `INSERT INTO runtime_settings (app_id, stop_grace_ms, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (app_id) DO UPDATE SET stop_grace_ms = excluded.stop_grace_ms, updated_at = excluded.updated_at`,
      )
      .run(appId, settings.stop_grace_ms, toTimestamp(this.clock()))
  }
}
