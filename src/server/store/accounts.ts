import type {Database, Statement} from 'better-sqlite3'
import {toTimestamp, type Clock} from './clock.js'
import {newId} from './ids.js'
import type {AccountRecord} from './records.js'

interface AccountRow extends Omit<AccountRecord, 'allow_tracking' | 'beta'> {
  allow_tracking: number
  beta: number
}

function decode(row: AccountRow): AccountRecord {
  return {...row, allow_tracking: row.allow_tracking === 1, beta: row.beta === 1}
}

export class AccountsRepository {
  private readonly byId: Statement<[string], AccountRow>
  private readonly byEmail: Statement<[string], AccountRow>

  constructor(private readonly db: Database, private readonly clock: Clock) {
    this.byId = db.prepare('SELECT * FROM accounts WHERE id = ?')
    this.byEmail = db.prepare('SELECT * FROM accounts WHERE email = ?')
  }

  create(input: {email: string; name?: string | null}): AccountRecord {
    const now = toTimestamp(this.clock())
    const id = newId()
    this.db
      .prepare('INSERT INTO accounts (id, email, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, input.email, input.name ?? null, now, now)
    return this.get(id) as AccountRecord
  }

  get(id: string): AccountRecord | undefined {
    const row = this.byId.get(id)
    return row && decode(row)
  }

  findByEmail(email: string): AccountRecord | undefined {
    const row = this.byEmail.get(email)
    return row && decode(row)
  }

  update(id: string, changes: {name?: string | null; allow_tracking?: boolean; beta?: boolean}): AccountRecord | undefined {
    const current = this.get(id)
    if (!current) return undefined
    const next = {...current, ...changes}
    this.db
      .prepare('UPDATE accounts SET name = ?, allow_tracking = ?, beta = ?, updated_at = ? WHERE id = ?')
      .run(next.name, next.allow_tracking ? 1 : 0, next.beta ? 1 : 0, toTimestamp(this.clock()), id)
    return this.get(id)
  }
}
