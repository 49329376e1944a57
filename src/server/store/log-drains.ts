import type {Database} from 'better-sqlite3'
import {toTimestamp, type Clock} from './clock.js'
import {isUuid, newId} from './ids.js'

export interface LogDrainRecord {
  id: string
  app_id: string
  url: string
  /** `d.<uuid>`: the syslog hostname field the drain receives. */
  token: string
  created_at: string
  updated_at: string
}

export class LogDrainsRepository {
  constructor(private readonly db: Database, private readonly clock: Clock) {}

  list(appId: string): LogDrainRecord[] {
    return this.db.prepare<[string], LogDrainRecord>('SELECT * FROM log_drains WHERE app_id = ? ORDER BY created_at, rowid').all(appId)
  }

  /** Every drain of every app (delivery starts for all of them when the control plane starts). */
  all(): LogDrainRecord[] {
    return this.db.prepare<[], LogDrainRecord>('SELECT * FROM log_drains ORDER BY rowid').all()
  }

  findByUrl(appId: string, url: string): LogDrainRecord | undefined {
    return this.db.prepare<[string, string], LogDrainRecord>('SELECT * FROM log_drains WHERE app_id = ? AND url = ?').get(appId, url)
  }

  /** By id (a UUID), token (`d.<uuid>`) or URL, as platform-api.md 1.11 allows. */
  resolve(appId: string, identity: string): LogDrainRecord | undefined {
    if (isUuid(identity)) {
      const byId = this.db.prepare<[string, string], LogDrainRecord>('SELECT * FROM log_drains WHERE app_id = ? AND id = ?').get(appId, identity.toLowerCase())
      if (byId) return byId
    }
    return (
      this.db.prepare<[string, string], LogDrainRecord>('SELECT * FROM log_drains WHERE app_id = ? AND token = ?').get(appId, identity) ??
      this.findByUrl(appId, identity)
    )
  }

  create(appId: string, url: string): LogDrainRecord {
    const now = toTimestamp(this.clock())
    const record: LogDrainRecord = {id: newId(), app_id: appId, url, token: `d.${newId()}`, created_at: now, updated_at: now}
    this.db
      .prepare('INSERT INTO log_drains (id, app_id, url, token, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(record.id, record.app_id, record.url, record.token, record.created_at, record.updated_at)
    return record
  }

  delete(appId: string, id: string): boolean {
    return this.db.prepare('DELETE FROM log_drains WHERE app_id = ? AND id = ?').run(appId, id).changes > 0
  }
}
