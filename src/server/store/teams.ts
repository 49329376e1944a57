// Teams and their members, and the collaborators of apps: who besides an app's owner may see it.
import type {Database} from 'better-sqlite3'
import {toTimestamp, type Clock} from './clock.js'
import {isUuid, newId} from './ids.js'

import {TEAM_ROLES, type TeamRole} from '../../shared/api-types.js'

export {TEAM_ROLES, type TeamRole}

export interface TeamRecord {
  id: string
  name: string
  created_at: string
  updated_at: string
}

export interface TeamMemberRecord {
  team_id: string
  account_id: string
  email: string
  name: string | null
  role: TeamRole
  created_at: string
  updated_at: string
}

export interface CollaboratorRecord {
  id: string
  app_id: string
  account_id: string
  email: string
  created_at: string
  updated_at: string
}

const MEMBER_SELECT = 'SELECT m.team_id, m.account_id, a.email, a.name, m.role, m.created_at, m.updated_at FROM team_members m JOIN accounts a ON a.id = m.account_id'
const COLLABORATOR_SELECT = 'SELECT c.id, c.app_id, c.account_id, a.email, c.created_at, c.updated_at FROM collaborators c JOIN accounts a ON a.id = c.account_id'

export class TeamsRepository {
  constructor(private readonly db: Database, private readonly clock: Clock) {}

  create(name: string): TeamRecord {
    const now = toTimestamp(this.clock())
    const id = newId()
    this.db.prepare('INSERT INTO teams (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)').run(id, name, now, now)
    return this.get(id) as TeamRecord
  }

  get(id: string): TeamRecord | undefined {
    return this.db.prepare<[string], TeamRecord>('SELECT * FROM teams WHERE id = ?').get(id)
  }

  resolve(identity: string): TeamRecord | undefined {
    return isUuid(identity) ? this.get(identity.toLowerCase()) : this.db.prepare<[string], TeamRecord>('SELECT * FROM teams WHERE name = ?').get(identity)
  }

  /** Every team (admin), or the ones `accountId` belongs to. */
  list(accountId?: string): TeamRecord[] {
    return accountId === undefined
      ? this.db.prepare<[], TeamRecord>('SELECT * FROM teams ORDER BY name').all()
      : this.db.prepare<[string], TeamRecord>('SELECT * FROM teams WHERE id IN (SELECT team_id FROM team_members WHERE account_id = ?) ORDER BY name').all(accountId)
  }

  members(teamId: string): TeamMemberRecord[] {
    return this.db.prepare<[string], TeamMemberRecord>(`${MEMBER_SELECT} WHERE m.team_id = ? ORDER BY a.email`).all(teamId)
  }

  member(teamId: string, accountId: string): TeamMemberRecord | undefined {
    return this.db.prepare<[string, string], TeamMemberRecord>(`${MEMBER_SELECT} WHERE m.team_id = ? AND m.account_id = ?`).get(teamId, accountId)
  }

  /** Adds the member or changes its role. */
  setMember(teamId: string, accountId: string, role: TeamRole): TeamMemberRecord {
    const now = toTimestamp(this.clock())
    this.db
      .prepare(
        `INSERT INTO team_members (team_id, account_id, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (team_id, account_id) DO UPDATE SET role = excluded.role, updated_at = excluded.updated_at`,
      )
      .run(teamId, accountId, role, now, now)
    return this.member(teamId, accountId) as TeamMemberRecord
  }

  removeMember(teamId: string, accountId: string): boolean {
    return this.db.prepare('DELETE FROM team_members WHERE team_id = ? AND account_id = ?').run(teamId, accountId).changes > 0
  }

  /** A removed user leaves every team and every app it collaborated on. */
  removeAccount(accountId: string): void {
    this.db.prepare('DELETE FROM team_members WHERE account_id = ?').run(accountId)
    this.db.prepare('DELETE FROM collaborators WHERE account_id = ?').run(accountId)
  }

  collaborators(appId: string): CollaboratorRecord[] {
    return this.db.prepare<[string], CollaboratorRecord>(`${COLLABORATOR_SELECT} WHERE c.app_id = ? ORDER BY c.created_at, c.rowid`).all(appId)
  }

  collaborator(appId: string, accountId: string): CollaboratorRecord | undefined {
    return this.db.prepare<[string, string], CollaboratorRecord>(`${COLLABORATOR_SELECT} WHERE c.app_id = ? AND c.account_id = ?`).get(appId, accountId)
  }

  addCollaborator(appId: string, accountId: string): CollaboratorRecord {
    const now = toTimestamp(this.clock())
    this.db
      .prepare('INSERT INTO collaborators (id, app_id, account_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (app_id, account_id) DO NOTHING')
      .run(newId(), appId, accountId, now, now)
    return this.collaborator(appId, accountId) as CollaboratorRecord
  }

  removeCollaborator(appId: string, accountId: string): boolean {
    return this.db.prepare('DELETE FROM collaborators WHERE app_id = ? AND account_id = ?').run(appId, accountId).changes > 0
  }
}
