// API tokens. Only a SHA-256 digest of each token is stored: the tokens are 256 random bits, so a
// fast unsalted hash is enough (nothing to brute-force), and a stolen database grants nothing.
import {createHash, randomBytes, timingSafeEqual} from 'node:crypto'
import type {Database, Statement} from 'better-sqlite3'
import {toTimestamp, type Clock} from './clock.js'
import {newId} from './ids.js'
import type {TokenRecord, TokenScope} from './records.js'

export const TOKEN_PREFIX = 'tug_'

/** How stale `last_used_at` may get: writing it on every request would cost an fsync each. */
const LAST_USED_RESOLUTION_MS = 60_000

export function hashToken(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest()
}

interface TokenRow extends TokenRecord {
  token_hash: string
}

function record(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    account_id: row.account_id,
    description: row.description,
    created_at: row.created_at,
    last_used_at: row.last_used_at,
    scope: row.scope,
    app_id: row.app_id,
    expires_at: row.expires_at,
  }
}

export interface TokenLimits {
  /** Default global: everything the account may do. */
  scope?: TokenScope
  /** The one app the token may act on. */
  appId?: string | null
  expiresAt?: Date | null
}

export class TokensRepository {
  private readonly byHash: Statement<[string], TokenRow>
  private readonly touch: Statement<[string, string]>

  constructor(private readonly db: Database, private readonly clock: Clock) {
    this.byHash = db.prepare('SELECT * FROM tokens WHERE token_hash = ?')
    this.touch = db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ?')
  }

  /** Makes a token for `accountId`. The plaintext `secret` is returned here and never again. */
  create(accountId: string, description: string | null = null, limits: TokenLimits = {}): {token: TokenRecord; secret: string} {
    const secret = TOKEN_PREFIX + randomBytes(32).toString('base64url')
    const id = newId()
    this.db
      .prepare('INSERT INTO tokens (id, account_id, description, token_hash, created_at, scope, app_id, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(
        id,
        accountId,
        description,
        hashToken(secret).toString('hex'),
        toTimestamp(this.clock()),
        limits.scope ?? 'global',
        limits.appId ?? null,
        limits.expiresAt ? toTimestamp(limits.expiresAt) : null,
      )
    return {token: this.get(id) as TokenRecord, secret}
  }

  get(id: string): TokenRecord | undefined {
    const row = this.db.prepare<[string], TokenRow>('SELECT * FROM tokens WHERE id = ?').get(id)
    return row && record(row)
  }

  /** Every token (of one account when given), in creation order, without secrets. */
  list(accountId?: string): TokenRecord[] {
    const rows = accountId
      ? this.db.prepare<[string], TokenRow>('SELECT * FROM tokens WHERE account_id = ? ORDER BY rowid').all(accountId)
      : this.db.prepare<[], TokenRow>('SELECT * FROM tokens ORDER BY rowid').all()
    return rows.map(record)
  }

  /** Deletes every token of the account (a removed user); how many went. */
  revokeAll(accountId: string): number {
    return this.db.prepare('DELETE FROM tokens WHERE account_id = ?').run(accountId).changes
  }

  /** Deletes the token; false when there was none with that id. */
  revoke(id: string): boolean {
    return this.db.prepare('DELETE FROM tokens WHERE id = ?').run(id).changes > 0
  }

  /**
   * The token record for a presented secret, or undefined. The row is found through the index on
   * the digest (timing there can only reveal digest prefixes, which say nothing about a token);
   * the final comparison is constant-time all the same.
   */
  authenticate(secret: string): TokenRecord | undefined {
    if (secret.length === 0 || secret.length > 1024) return undefined
    const digest = hashToken(secret)
    const row = this.byHash.get(digest.toString('hex'))
    if (!row) return undefined
    const stored = Buffer.from(row.token_hash, 'hex')
    if (stored.length !== digest.length || !timingSafeEqual(stored, digest)) return undefined
    const now = this.clock()
    if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) >= LAST_USED_RESOLUTION_MS) {
      row.last_used_at = toTimestamp(now)
      this.touch.run(row.last_used_at, row.id)
    }
    return record(row)
  }
}
