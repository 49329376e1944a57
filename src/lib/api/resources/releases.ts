import type {Requester} from '../requester.js'
import type {Release, ReleaseCreateBody} from '../../../shared/api-types.js'
import {pathOf} from './path.js'

export interface ReleaseListOptions {
  max?: number
  order?: 'asc' | 'desc'
}

export interface ReleasesResource {
  /** Every release, oldest first; with `max`, one page of at most that many. */
  list(app: string, options?: ReleaseListOptions): Promise<Release[]>
  info(app: string, release: string | number): Promise<Release>
  latest(app: string): Promise<Release | undefined>
  rollback(app: string, releaseId: string): Promise<Release>
}

export function releaseRange(options: ReleaseListOptions): string {
  const opts = [options.max === undefined ? undefined : `max=${options.max}`, options.order && `order=${options.order}`].filter(Boolean)
  return opts.length > 0 ? `version ..; ${opts.join(', ')}` : 'version ..'
}

export function releasesResource(client: Requester): ReleasesResource {
  const path = (app: string) => pathOf('apps', app, 'releases')
  return {
    list: (app, options = {}) => {
      const range = releaseRange(options)
      // With a max the caller wants that page (`releases -n 15`), not the whole history.
      if (options.max !== undefined) return client.get<Release[]>(path(app), {range})
      return client.list<Release>(path(app), {range})
    },
    info: (app, release) => client.get<Release>(pathOf('apps', app, 'releases', release)),
    latest: async (app) => {
      const page = await client.get<Release[]>(path(app), {range: releaseRange({max: 1, order: 'desc'})})
      return Array.isArray(page) ? page[0] : undefined
    },
    rollback: (app, releaseId) => {
      const body: ReleaseCreateBody = {release: releaseId}
      return client.post<Release>(path(app), body)
    },
  }
}
