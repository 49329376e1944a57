import type {Database, Statement} from 'better-sqlite3'
import {toTimestamp, type Clock} from './clock.js'
import {newId} from './ids.js'
import type {AccountRecord} from './records.js'

interface AccountRow extends Omit<AccountRecord, 'allow_tracking' | 'beta' | 'admin'> {
  allow_tracking: number
  beta: number
  admin: number
  password_hash?: string | null
}

function decode(row: AccountRow): AccountRecord {
  const {password_hash: _hash, ...rest} = row
  return {...rest, allow_tracking: row.allow_tracking === 1, beta: row.beta === 1, admin: row.admin === 1}
}

export class AccountsRepository {
  private readonly byId: Statement<[string], AccountRow>
  private readonly byEmail: Statement<[string], AccountRow>

  constructor(private readonly db: Database, private readonly clock: Clock) {
    this.byId = db.prepare('SELECT * FROM accounts WHERE id = ?')
    // Emails are compared without case: Bob@x and bob@x are one person.
    this.byEmail = db.prepare('SELECT * FROM accounts WHERE email = ? COLLATE NOCASE')
  }

  create(input: {email: string; name?: string | null; admin?: boolean; invited?: boolean}): AccountRecord {
    const now = toTimestamp(this.clock())
    const id = newId()
    this.db
      .prepare('INSERT INTO accounts (id, email, name, admin, invited_at, activated_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, input.email, input.name ?? null, input.admin ? 1 : 0, input.invited ? now : null, input.invited ? null : now, now, now)
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

  /** Accounts not removed, in creation order. */
  list(): AccountRecord[] {
    return this.db.prepare<[], AccountRow>('SELECT * FROM accounts WHERE removed_at IS NULL ORDER BY created_at, rowid').all().map(decode)
  }

  /** The stored password hash (never part of a record, so it cannot reach a wire shape by accident). */
  passwordHash(id: string): string | null {
    const row = this.db.prepare<[string], {password_hash: string | null}>('SELECT password_hash FROM accounts WHERE id = ?').get(id)
    return row?.password_hash ?? null
  }

  /** Sets the password hash and marks the account active. */
  activate(id: string, passwordHash: string): void {
    const now = toTimestamp(this.clock())
    this.db
      .prepare('UPDATE accounts SET password_hash = ?, activated_at = COALESCE(activated_at, ?), removed_at = NULL, updated_at = ? WHERE id = ?')
      .run(passwordHash, now, now, id)
  }

  /** A removed account invited again: back to invited, without its old password. */
  reinvite(id: string): AccountRecord | undefined {
    const now = toTimestamp(this.clock())
    this.db
      .prepare('UPDATE accounts SET password_hash = NULL, invited_at = ?, activated_at = NULL, removed_at = NULL, updated_at = ? WHERE id = ?')
      .run(now, now, id)
    return this.get(id)
  }

  /** Marks the account removed and forgets its password; the caller moves its apps and drops its tokens. */
  remove(id: string): void {
    const now = toTimestamp(this.clock())
    this.db.prepare('UPDATE accounts SET removed_at = ?, password_hash = NULL, updated_at = ? WHERE id = ?').run(now, now, id)
  }

  setAdmin(id: string, admin: boolean): void {
    this.db.prepare('UPDATE accounts SET admin = ?, updated_at = ? WHERE id = ?').run(admin ? 1 : 0, toTimestamp(this.clock()), id)
  }

  touchLogin(id: string): void {
    this.db.prepare('UPDATE accounts SET last_login = ? WHERE id = ?').run(toTimestamp(this.clock()), id)
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
