import type {Database} from 'better-sqlite3'
import {toTimestamp, type Clock} from './clock.js'

/** An app's buildpack installations: the URLs its builds run, in order (none: the built-in ones, detected). */
export class BuildpacksRepository {
  constructor(private readonly db: Database, private readonly clock: Clock) {}

  list(appId: string): string[] {
    return this.db
      .prepare<[string], {url: string}>('SELECT url FROM buildpack_installations WHERE app_id = ? ORDER BY ordinal')
      .all(appId)
      .map((row) => row.url)
  }

  /** Replaces the whole list, as Heroku's PUT does; gives the new one. */
  replace(appId: string, urls: readonly string[]): string[] {
    const now = toTimestamp(this.clock())
    this.db
      .transaction(() => {
        this.db.prepare('DELETE FROM buildpack_installations WHERE app_id = ?').run(appId)
        const insert = this.db.prepare('INSERT INTO buildpack_installations (app_id, ordinal, url, created_at) VALUES (?, ?, ?, ?)')
        urls.forEach((url, index) => insert.run(appId, index + 1, url, now))
      })
      .immediate()
    return this.list(appId)
  }
}
