import type {Database, Statement} from 'better-sqlite3'
import {toTimestamp, type Clock} from './clock.js'
import {isUuid, newId} from './ids.js'
import type {FormationRecord} from './records.js'

export class FormationRepository {
  private readonly all: Statement<[string], FormationRecord>
  private readonly byType: Statement<[string, string], FormationRecord>
  private readonly byId: Statement<[string, string], FormationRecord>
  private readonly updateStmt: Statement<[number, string, string, string, string]>

  constructor(private readonly db: Database, private readonly clock: Clock) {
    this.all = db.prepare('SELECT * FROM formation WHERE app_id = ? ORDER BY type')
    this.byType = db.prepare('SELECT * FROM formation WHERE app_id = ? AND type = ?')
    this.byId = db.prepare('SELECT * FROM formation WHERE app_id = ? AND id = ?')
    this.updateStmt = db.prepare('UPDATE formation SET quantity = ?, size = ?, updated_at = ? WHERE app_id = ? AND id = ?')
  }

  list(appId: string): FormationRecord[] {
    return this.all.all(appId)
  }

  /** An entry by id (UUID) or by process type. */
  resolve(appId: string, identity: string): FormationRecord | undefined {
    return isUuid(identity) ? this.byId.get(appId, identity.toLowerCase()) : this.byType.get(appId, identity)
  }

  getByType(appId: string, type: string): FormationRecord | undefined {
    return this.byType.get(appId, type)
  }

  create(appId: string, input: {type: string; command: string; quantity: number; size: string}): FormationRecord {
    const now = toTimestamp(this.clock())
    const id = newId()
    this.db
      .prepare(
        'INSERT INTO formation (id, app_id, type, command, quantity, size, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(id, appId, input.type, input.command, input.quantity, input.size, now, now)
    return this.byId.get(appId, id) as FormationRecord
  }

  update(appId: string, id: string, changes: {quantity: number; size: string}): FormationRecord {
    this.updateStmt.run(changes.quantity, changes.size, toTimestamp(this.clock()), appId, id)
    return this.byId.get(appId, id) as FormationRecord
  }

  setCommand(appId: string, id: string, command: string): void {
    this.db
      .prepare('UPDATE formation SET command = ?, updated_at = ? WHERE app_id = ? AND id = ?')
      .run(command, toTimestamp(this.clock()), appId, id)
  }

  delete(appId: string, id: string): void {
    this.db.prepare('DELETE FROM formation WHERE app_id = ? AND id = ?').run(appId, id)
  }
}
