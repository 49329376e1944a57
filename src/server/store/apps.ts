import type {Database, Statement} from 'better-sqlite3'
import {toTimestamp, type Clock} from './clock.js'
import {isUuid, newId} from './ids.js'
import type {AppRecord} from './records.js'

interface AppRow extends Omit<AppRecord, 'maintenance'> {
  maintenance: number
}

function decode(row: AppRow): AppRecord {
  return {...row, maintenance: row.maintenance === 1}
}

export class AppsRepository {
  private readonly byId: Statement<[string], AppRow>
  private readonly byName: Statement<[string], AppRow>
  /** name -> id (null: no such app), for idByName; cleared by every write to an app's identity. */
  private readonly ids = new Map<string, string | null>()

  private readonly relationOf: Statement<[string, string, string | null, string], {collaborator: number | null; role: 'admin' | 'member' | 'viewer' | null}>

  constructor(private readonly db: Database, private readonly clock: Clock) {
    this.byId = db.prepare('SELECT * FROM apps WHERE id = ?')
    this.byName = db.prepare('SELECT * FROM apps WHERE name = ?')
    this.relationOf = db.prepare(
      `SELECT (SELECT 1 FROM collaborators WHERE app_id = ? AND account_id = ?) AS collaborator,
              (SELECT role FROM team_members WHERE team_id = ? AND account_id = ?) AS role`,
    )
  }

  create(input: {name: string; owner_id: string; region: string; stack: string; team_id?: string | null}): AppRecord {
    const now = toTimestamp(this.clock())
    const id = newId()
    this.db
      .prepare(
        `INSERT INTO apps (id, name, owner_id, region, stack, build_stack, created_at, updated_at, team_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, input.name, input.owner_id, input.region, input.stack, input.stack, now, now, input.team_id ?? null)
    this.ids.clear()
    return this.get(id) as AppRecord
  }

  get(appId: string): AppRecord | undefined {
    const row = this.byId.get(appId)
    return row && decode(row)
  }

  findByName(name: string): AppRecord | undefined {
    const row = this.byName.get(name)
    return row && decode(row)
  }

  /**
   * The id of the app called `name`, from memory after the first lookup: the HTTP router asks on
   * every request, and a SQLite lookup costs ~7 µs. Only this repository writes app names
   * (create, update, delete), and each of those clears the memory.
   */
  idByName(name: string): string | undefined {
    let id = this.ids.get(name)
    if (id === undefined) {
      id = this.byName.get(name)?.id ?? null
      if (this.ids.size >= 10_000) this.ids.clear()
      this.ids.set(name, id)
    }
    return id ?? undefined
  }

  /** An app by id (when the value is a UUID) or by name, as paths carry it. */
  resolve(identity: string): AppRecord | undefined {
    return isUuid(identity) ? this.get(identity.toLowerCase()) : this.findByName(identity)
  }

  list(ownerId?: string): AppRecord[] {
    const rows = ownerId
      ? this.db.prepare<[string], AppRow>('SELECT * FROM apps WHERE owner_id = ? ORDER BY id').all(ownerId)
      : this.db.prepare<[], AppRow>('SELECT * FROM apps ORDER BY id').all()
    return rows.map(decode)
  }

  /**
   * The apps a viewer may see, filtered in the query: every app for an admin, otherwise the ones
   * it owns, collaborates on or whose team it belongs to; only `appId` for a token limited to one app.
   */
  listVisible(viewer: {accountId: string; admin: boolean; appId?: string | null}): AppRecord[] {
    const only = viewer.appId ?? null
    if (viewer.admin) {
      return this.db.prepare<[string | null, string | null], AppRow>('SELECT * FROM apps WHERE (? IS NULL OR id = ?) ORDER BY id').all(only, only).map(decode)
    }
    return this.db
      .prepare<[string, string, string, string | null, string | null], AppRow>(
        `SELECT * FROM apps WHERE (owner_id = ?
           OR id IN (SELECT app_id FROM collaborators WHERE account_id = ?)
           OR team_id IN (SELECT team_id FROM team_members WHERE account_id = ?))
         AND (? IS NULL OR id = ?) ORDER BY id`,
      )
      .all(viewer.accountId, viewer.accountId, viewer.accountId, only, only)
      .map(decode)
  }

  /** What ties an account to an app besides ownership: a collaboration, a role in the app's team. */
  relation(appId: string, teamId: string | null, accountId: string): {collaborator: boolean; teamRole: 'admin' | 'member' | 'viewer' | null} {
    // One statement, prepared once: every request of a non-owner asks (bench/api measures it).
    const row = this.relationOf.get(appId, accountId, teamId, accountId)
    return {collaborator: row?.collaborator === 1, teamRole: row?.role ?? null}
  }

  /** Gives every app of `fromId` to `toId` (a removed user's apps stay, owned by the admin); the names. */
  transferAll(fromId: string, toId: string): string[] {
    const names = this.db.prepare<[string], {name: string}>('SELECT name FROM apps WHERE owner_id = ? ORDER BY name').all(fromId).map((r) => r.name)
    this.db.prepare('UPDATE apps SET owner_id = ?, updated_at = ? WHERE owner_id = ?').run(toId, toTimestamp(this.clock()), fromId)
    return names
  }

  update(appId: string, changes: {name?: string; maintenance?: boolean; build_stack?: string}): AppRecord | undefined {
    const current = this.get(appId)
    if (!current) return undefined
    const next = {...current, ...changes}
    this.ids.clear()
    this.db
      .prepare('UPDATE apps SET name = ?, maintenance = ?, build_stack = ?, updated_at = ? WHERE id = ?')
      .run(next.name, next.maintenance ? 1 : 0, next.build_stack, toTimestamp(this.clock()), appId)
    return this.get(appId)
  }

  setCurrentRelease(appId: string, releaseId: string): void {
    const now = toTimestamp(this.clock())
    this.db
      .prepare('UPDATE apps SET current_release_id = ?, released_at = ?, updated_at = ? WHERE id = ?')
      .run(releaseId, now, now, appId)
  }

  /** Deletes the app; its releases, config, formation, dynos and sessions go with it (cascade). */
  delete(appId: string): boolean {
    this.ids.clear()
    // The app points at its current release and the release at the app: break the cycle first.
    this.db.prepare('UPDATE apps SET current_release_id = NULL WHERE id = ?').run(appId)
    this.db.prepare('DELETE FROM dynos WHERE app_id = ?').run(appId)
    this.db.prepare('DELETE FROM builds WHERE app_id = ?').run(appId)
    this.db.prepare('DELETE FROM releases WHERE app_id = ?').run(appId)
    return this.db.prepare('DELETE FROM apps WHERE id = ?').run(appId).changes > 0
  }
}
