// Invitations: a one-time code for an invited account to set its password. Only the code's
// SHA-256 is stored (the code is 256 random bits, so a fast hash is enough).
import {createHash, randomBytes} from 'node:crypto'
import type {Database} from 'better-sqlite3'
import {toTimestamp, type Clock} from './clock.js'
import {newId} from './ids.js'

export interface InvitationRecord {
  id: string
  account_id: string
  email: string
  created_at: string
  expires_at: string
  used_at: string | null
}

export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000

const digest = (code: string): string => createHash('sha256').update(code, 'utf8').digest('hex')

export class InvitationsRepository {
  constructor(private readonly db: Database, private readonly clock: Clock) {}

  /** A new invitation for the account; earlier unused ones stop working. The code is returned here only. */
  create(accountId: string, email: string): {invitation: InvitationRecord; code: string} {
    const now = this.clock()
    const code = randomBytes(32).toString('base64url')
    const id = newId()
    this.db.prepare('UPDATE invitations SET used_at = ? WHERE account_id = ? AND used_at IS NULL').run(toTimestamp(now), accountId)
    this.db
      .prepare('INSERT INTO invitations (id, account_id, email, code_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, accountId, email, digest(code), toTimestamp(now), toTimestamp(new Date(now.getTime() + INVITATION_TTL_MS)))
    return {invitation: this.get(id) as InvitationRecord, code}
  }

  get(id: string): InvitationRecord | undefined {
    return this.db.prepare<[string], InvitationRecord>('SELECT id, account_id, email, created_at, expires_at, used_at FROM invitations WHERE id = ?').get(id)
  }

  findByCode(code: string): InvitationRecord | undefined {
    if (code.length === 0 || code.length > 200) return undefined
    return this.db
      .prepare<[string], InvitationRecord>('SELECT id, account_id, email, created_at, expires_at, used_at FROM invitations WHERE code_hash = ?')
      .get(digest(code))
  }

  /** Marks it used; false when it already was (two accepts racing: one wins). */
  use(id: string): boolean {
    return this.db.prepare('UPDATE invitations SET used_at = ? WHERE id = ? AND used_at IS NULL').run(toTimestamp(this.clock()), id).changes > 0
  }

  /** The account's invitations stop working (the user was removed). */
  cancelAll(accountId: string): void {
    this.db.prepare('UPDATE invitations SET used_at = ? WHERE account_id = ? AND used_at IS NULL').run(toTimestamp(this.clock()), accountId)
  }
}
