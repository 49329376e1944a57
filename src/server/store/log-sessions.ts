import type {Database, Statement} from 'better-sqlite3'
import {toTimestamp, type Clock} from './clock.js'
import {newId} from './ids.js'
import type {LogSessionRecord} from './records.js'
import {hashToken} from './tokens.js'

interface LogSessionRow extends Omit<LogSessionRecord, 'tail'> {
  tail: number
}

function decode(row: LogSessionRow): LogSessionRecord {
  return {...row, tail: row.tail === 1}
}

export type NewLogSession = Pick<LogSessionRecord, 'dyno' | 'dyno_name' | 'type' | 'source' | 'lines' | 'tail'> & {
  /** How long the capability URL stays valid. */
  ttlMs: number
}

export class LogSessionsRepository {
  private readonly byHash: Statement<[string], LogSessionRow>

  constructor(private readonly db: Database, private readonly clock: Clock) {
    this.byHash = db.prepare('SELECT * FROM log_sessions WHERE token_hash = ?')
  }

  /** Stores a session reachable with `secret` (only its digest is kept). */
  create(appId: string, secret: string, input: NewLogSession): LogSessionRecord {
    const now = this.clock()
    const id = newId()
    this.db
      .prepare(
        `INSERT INTO log_sessions (id, app_id, token_hash, dyno, dyno_name, type, source, lines, tail, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        appId,
        hashToken(secret).toString('hex'),
        input.dyno,
        input.dyno_name,
        input.type,
        input.source,
        input.lines,
        input.tail ? 1 : 0,
        toTimestamp(now),
        toTimestamp(new Date(now.getTime() + input.ttlMs)),
      )
    return decode(this.db.prepare<[string], LogSessionRow>('SELECT * FROM log_sessions WHERE id = ?').get(id) as LogSessionRow)
  }

  /**
   * The session a capability URL's secret names, unexpired. This is the one lookup not scoped by
   * app: the secret itself is what identifies the app.
   */
  findBySecret(secret: string): LogSessionRecord | undefined {
    const row = this.byHash.get(hashToken(secret).toString('hex'))
    if (!row || Date.parse(row.expires_at) <= this.clock().getTime()) return undefined
    return decode(row)
  }

  /**
   * The first read of a session starts its connected lifetime: it then expires `ttlMs` after now
   * (whole seconds, rounded down, like every stored time). Later reads change nothing. The session
   * as it now is.
   */
  connect(id: string, ttlMs: number): LogSessionRecord | undefined {
    const now = this.clock()
    this.db
      .prepare('UPDATE log_sessions SET connected_at = ?, expires_at = ? WHERE id = ? AND connected_at IS NULL')
      .run(toTimestamp(now), toTimestamp(new Date(now.getTime() + ttlMs)), id)
    const row = this.db.prepare<[string], LogSessionRow>('SELECT * FROM log_sessions WHERE id = ?').get(id)
    return row ? decode(row) : undefined
  }

  deleteExpired(): number {
    return this.db.prepare('DELETE FROM log_sessions WHERE expires_at <= ?').run(toTimestamp(this.clock())).changes
  }
}
