// Repositories for the `sources` and `builds` tables (created by the store's migrations). Like
// every repository, each query takes the app it is for.
import type {Database} from 'better-sqlite3'
import {toTimestamp, type Clock} from '../store/index.js'

export interface SourceRecord {
  /** SHA-256 (hex) of the capability token in the blob URLs: the token itself is never stored. */
  id: string
  app_id: string
  created_at: string
  blob_path: string
  uploaded_at: string | null
  /** `SHA256:<hex>` of the blob, hashed as it was written (migration 7); null before it is. */
  checksum: string | null
}

export type BuildStatusRecord = 'pending' | 'succeeded' | 'failed'

export interface BuildRecord {
  id: string
  app_id: string
  source_url: string
  status: BuildStatusRecord
  release_id: string | null
  /** The build's output file, `<dataDir>/builds/<build-id>.log`. */
  output_path: string | null
  /** SHA-256 (hex) of the token in the output stream's URL: the token itself is never stored. */
  output_token_hash: string | null
  error: string | null
  created_at: string
  updated_at: string
  user_id: string | null
  /** `SHA256:<hex>` of the source blob built. */
  source_checksum: string | null
  /** The build body's source_blob.version. */
  source_version: string | null
  /** JSON `[{url, name}]`: asked for while pending, those that ran once finished; null: none. */
  buildpacks: string | null
  slug_size: number | null
}

/** A buildpack as the build's wire answer names it. */
export interface BuildpackRef {
  url: string
  name: string
}

export class SourcesRepository {
  constructor(private readonly db: Database, private readonly clock: Clock) {}

  create(input: {id: string; app_id: string; blob_path: string}): SourceRecord {
    this.db
      .prepare('INSERT INTO sources (id, app_id, created_at, blob_path) VALUES (?, ?, ?, ?)')
      .run(input.id, input.app_id, toTimestamp(this.clock()), input.blob_path)
    return this.get(input.id) as SourceRecord
  }

  /** By id alone: a source is reached through its capability URL, which names no app. */
  get(id: string): SourceRecord | undefined {
    return this.db.prepare<[string], SourceRecord>('SELECT * FROM sources WHERE id = ?').get(id)
  }

  list(appId: string): SourceRecord[] {
    return this.db.prepare<[string], SourceRecord>('SELECT * FROM sources WHERE app_id = ? ORDER BY created_at, id').all(appId)
  }

  /** Uploaded sources made at or before `before` (their URLs have expired: nothing can build them now). */
  listUploadedBefore(before: Date): SourceRecord[] {
    return this.db
      .prepare<[string], SourceRecord>('SELECT * FROM sources WHERE uploaded_at IS NOT NULL AND created_at <= ?')
      .all(toTimestamp(before))
  }

  /** Marks the blob uploaded, with its checksum; false when it already was (blobs are written once). */
  markUploaded(appId: string, id: string, checksum: string): boolean {
    return (
      this.db
        .prepare('UPDATE sources SET uploaded_at = ?, checksum = ? WHERE app_id = ? AND id = ? AND uploaded_at IS NULL')
        .run(toTimestamp(this.clock()), checksum, appId, id).changes > 0
    )
  }
}

export class BuildsRepository {
  constructor(private readonly db: Database, private readonly clock: Clock) {}

  create(input: {
    id: string
    app_id: string
    source_url: string
    output_path: string
    output_token_hash: string
    user_id: string
    source_checksum: string | null
    source_version: string | null
    buildpacks: readonly BuildpackRef[] | null
  }): BuildRecord {
    const now = toTimestamp(this.clock())
    this.db
      .prepare(
        `INSERT INTO builds (id, app_id, source_url, status, output_path, output_token_hash, created_at, updated_at, user_id, source_checksum, source_version, buildpacks)
         VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        input.id, input.app_id, input.source_url, input.output_path, input.output_token_hash, now, now, input.user_id,
        input.source_checksum, input.source_version, input.buildpacks ? JSON.stringify(input.buildpacks) : null,
      )
    return this.get(input.app_id, input.id) as BuildRecord
  }

  /** The buildpacks that ran (or were asked for), as the wire shows them. */
  setBuildpacks(appId: string, id: string, buildpacks: readonly BuildpackRef[] | null): void {
    this.db
      .prepare('UPDATE builds SET buildpacks = ? WHERE app_id = ? AND id = ?')
      .run(buildpacks && buildpacks.length > 0 ? JSON.stringify(buildpacks) : null, appId, id)
  }

  setSourceChecksum(appId: string, id: string, checksum: string): void {
    this.db.prepare('UPDATE builds SET source_checksum = ? WHERE app_id = ? AND id = ?').run(checksum, appId, id)
  }

  get(appId: string, id: string): BuildRecord | undefined {
    return this.db.prepare<[string, string], BuildRecord>('SELECT * FROM builds WHERE app_id = ? AND id = ?').get(appId, id)
  }

  /** The build whose output file is `outputPath`. */
  findByOutputPath(outputPath: string): BuildRecord | undefined {
    return this.db.prepare<[string], BuildRecord>('SELECT * FROM builds WHERE output_path = ?').get(outputPath)
  }

  /** By the hash of its output stream's token alone: the capability URL names no app. */
  findByOutputTokenHash(hash: string): BuildRecord | undefined {
    return this.db.prepare<[string], BuildRecord>('SELECT * FROM builds WHERE output_token_hash = ?').get(hash)
  }

  /** Oldest first, ids breaking ties, as Range pagination by `id` expects after sorting. */
  list(appId: string): BuildRecord[] {
    return this.db.prepare<[string], BuildRecord>('SELECT * FROM builds WHERE app_id = ? ORDER BY created_at, id').all(appId)
  }

  finish(appId: string, id: string, outcome: {status: 'succeeded'; release_id: string; slug_size?: number} | {status: 'failed'; error: string}): void {
    this.db
      .prepare('UPDATE builds SET status = ?, release_id = ?, slug_size = ?, error = ?, updated_at = ? WHERE app_id = ? AND id = ?')
      .run(
        outcome.status,
        outcome.status === 'succeeded' ? outcome.release_id : null,
        outcome.status === 'succeeded' ? (outcome.slug_size ?? null) : null,
        outcome.status === 'failed' ? outcome.error : null,
        toTimestamp(this.clock()),
        appId,
        id,
      )
  }

  /** Builds left `pending` by a server that stopped mid-build: they will never finish now. */
  failInterrupted(message: string): number {
    return this.db
      .prepare("UPDATE builds SET status = 'failed', error = ?, updated_at = ? WHERE status = 'pending'")
      .run(message, toTimestamp(this.clock())).changes
  }
}
