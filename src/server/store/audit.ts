// The audit trail: one row per change, names copied so that history outlives apps and users.
import type {Database} from 'better-sqlite3'
import {toTimestamp, type Clock} from './clock.js'
import {newId} from './ids.js'

export interface AuditEventRecord {
  id: string
  seq: number
  created_at: string
  actor_id: string | null
  actor_email: string | null
  token_id: string | null
  token_description: string | null
  app_id: string | null
  app_name: string | null
  action: string
  method: string
  path: string
  status: number
}

export type AuditEventInput = Omit<AuditEventRecord, 'id' | 'seq' | 'created_at'>

export interface AuditQuery {
  /** Only this app's events. */
  appId?: string
  /** Without `all`: only events of these apps or by this actor ('' for none). */
  visibleApps?: readonly string[]
  actorId?: string
  all: boolean
  since?: string
  limit: number
}

export class AuditRepository {
  constructor(private readonly db: Database, private readonly clock: Clock) {}

  record(input: AuditEventInput): void {
    this.db
      .prepare(
        `INSERT INTO audit_events (id, seq, created_at, actor_id, actor_email, token_id, token_description, app_id, app_name, action, method, path, status)
         VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_events), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        newId(),
        toTimestamp(this.clock()),
        input.actor_id,
        input.actor_email,
        input.token_id,
        input.token_description,
        input.app_id,
        input.app_name,
        input.action,
        input.method,
        input.path,
        input.status,
      )
  }

  /** The newest `limit` events that match, oldest first. */
  list(query: AuditQuery): AuditEventRecord[] {
    const where: string[] = []
    const args: Array<string | number> = []
    if (query.appId !== undefined) {
      where.push('app_id = ?')
      args.push(query.appId)
    }
    if (!query.all) {
      const apps = query.visibleApps ?? []
      where.push(`(actor_id = ?${apps.length > 0 ? ` OR app_id IN (${apps.map(() => '?').join(', ')})` : ''})`)
      args.push(query.actorId ?? '', ...apps)
    }
    if (query.since !== undefined) {
      where.push('created_at >= ?')
      args.push(query.since)
    }
    const sql = `SELECT * FROM (SELECT * FROM audit_events${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?) ORDER BY seq`
    return this.db.prepare<Array<string | number>, AuditEventRecord>(sql).all(...args, query.limit)
  }
}
