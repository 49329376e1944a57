// Config vars are immutable snapshots; a release points at one, and the app's current config is
// its current release's snapshot.
import type {Database, Statement} from 'better-sqlite3'
import {toTimestamp, type Clock} from './clock.js'
import {newId} from './ids.js'
import type {ConfigVarsMap} from './records.js'

export class ConfigRepository {
  private readonly byId: Statement<[string, string], {vars: string}>

  constructor(private readonly db: Database, private readonly clock: Clock) {
    this.byId = db.prepare('SELECT vars FROM config_snapshots WHERE app_id = ? AND id = ?')
  }

  /** Stores `vars` as a new snapshot of `appId`'s config and returns its id. */
  create(appId: string, vars: ConfigVarsMap): string {
    const id = newId()
    this.db
      .prepare('INSERT INTO config_snapshots (id, app_id, vars, created_at) VALUES (?, ?, ?, ?)')
      .run(id, appId, JSON.stringify(vars), toTimestamp(this.clock()))
    return id
  }

  get(appId: string, snapshotId: string): ConfigVarsMap | undefined {
    const row = this.byId.get(appId, snapshotId)
    return row && (JSON.parse(row.vars) as ConfigVarsMap)
  }
}
