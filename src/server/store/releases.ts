import type {Database, Statement} from 'better-sqlite3'
import {toTimestamp, type Clock} from './clock.js'
import {isUuid, newId} from './ids.js'
import type {ProcessTypeRecord, ReleaseRecord} from './records.js'

interface ReleaseRow extends Omit<ReleaseRecord, 'process_types'> {
  process_types: string | null
}

function decode(row: ReleaseRow): ReleaseRecord {
  return {...row, process_types: row.process_types === null ? null : (JSON.parse(row.process_types) as ProcessTypeRecord[])}
}

export interface NewRelease {
  description: string
  status?: ReleaseRecord['status']
  slug_id: string | null
  code_dir: string | null
  process_types: ProcessTypeRecord[] | null
  config_id: string
  user_id: string
}

export class ReleasesRepository {
  private readonly byId: Statement<[string, string], ReleaseRow>
  private readonly byVersion: Statement<[string, number], ReleaseRow>
  private readonly all: Statement<[string], ReleaseRow>

  constructor(private readonly db: Database, private readonly clock: Clock) {
    this.byId = db.prepare('SELECT * FROM releases WHERE app_id = ? AND id = ?')
    this.byVersion = db.prepare('SELECT * FROM releases WHERE app_id = ? AND version = ?')
    this.all = db.prepare('SELECT * FROM releases WHERE app_id = ? ORDER BY version')
  }

  /**
   * Inserts the next release of the app. The version is computed by the INSERT itself from
   * max(version)+1, and UNIQUE(app_id, version) backs it, so versions have no gaps or duplicates
   * even if two writers ever raced (better-sqlite3 serialises writers; this keeps it true for a
   * second store implementation too). Call inside the caller's transaction.
   */
  insert(appId: string, input: NewRelease): ReleaseRecord {
    const id = newId()
    const now = toTimestamp(this.clock())
    this.db
      .prepare(
        `INSERT INTO releases (id, app_id, version, description, status, slug_id, code_dir, process_types,
                               config_id, user_id, created_at, updated_at)
         SELECT ?, ?, COALESCE(MAX(version), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM releases WHERE app_id = ?`,
      )
      .run(
        id,
        appId,
        input.description,
        input.status ?? 'succeeded',
        input.slug_id,
        input.code_dir,
        input.process_types === null ? null : JSON.stringify(input.process_types),
        input.config_id,
        input.user_id,
        now,
        now,
        appId,
      )
    return this.get(appId, id) as ReleaseRecord
  }

  get(appId: string, releaseId: string): ReleaseRecord | undefined {
    const row = this.byId.get(appId, releaseId)
    return row && decode(row)
  }

  getByVersion(appId: string, version: number): ReleaseRecord | undefined {
    const row = this.byVersion.get(appId, version)
    return row && decode(row)
  }

  /** A release by id (UUID) or by version number (`12`, or `v12` as people write it). */
  resolve(appId: string, identity: string | number): ReleaseRecord | undefined {
    if (typeof identity === 'number') return Number.isSafeInteger(identity) ? this.getByVersion(appId, identity) : undefined
    if (isUuid(identity)) return this.get(appId, identity.toLowerCase())
    const match = /^v?(\d{1,15})$/.exec(identity)
    return match ? this.getByVersion(appId, Number(match[1])) : undefined
  }

  list(appId: string): ReleaseRecord[] {
    return this.all.all(appId).map(decode)
  }

  /** The release phase decides: pending -> succeeded or failed. */
  setStatus(appId: string, releaseId: string, status: ReleaseRecord['status']): void {
    this.db
      .prepare('UPDATE releases SET status = ?, updated_at = ? WHERE app_id = ? AND id = ?')
      .run(status, toTimestamp(this.clock()), appId, releaseId)
  }

  /** Every release of the app whose code is at `codeDir` loses it (rollbacks share their target's). */
  markCodePruned(appId: string, codeDir: string): void {
    this.db
      .prepare('UPDATE releases SET code_pruned_at = ? WHERE app_id = ? AND code_dir = ? AND code_pruned_at IS NULL')
      .run(toTimestamp(this.clock()), appId, codeDir)
  }

  /** The newest release carrying the given slug, so that a slug can be released again. */
  findBySlug(appId: string, slugId: string): ReleaseRecord | undefined {
    const row = this.db
      .prepare<[string, string], ReleaseRow>('SELECT * FROM releases WHERE app_id = ? AND slug_id = ? ORDER BY version DESC LIMIT 1')
      .get(appId, slugId)
    return row && decode(row)
  }
}
