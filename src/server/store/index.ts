// The store: one SQLite database reached only through its repositories, one per table, so that a
// second implementation (PostgreSQL, for a control plane run as several instances) stays possible.
// Every query takes the app it is for.
import {closeSync, openSync} from 'node:fs'
import BetterSqlite3, {type Database} from 'better-sqlite3'
import {AccountsRepository} from './accounts.js'
import {AddonsRepository} from './addons.js'
import {AppsRepository} from './apps.js'
import {AuditRepository} from './audit.js'
import {BuildpacksRepository} from './buildpacks.js'
import {systemClock, type Clock} from './clock.js'
import {ConfigRepository} from './config.js'
import {DynosRepository} from './dynos.js'
import {FormationRepository} from './formation.js'
import {InvitationsRepository} from './invitations.js'
import {LogDrainsRepository} from './log-drains.js'
import {LogSessionsRepository} from './log-sessions.js'
import {migrate} from './migrations.js'
import {ReleasesRepository} from './releases.js'
import {RuntimeSettingsRepository} from './runtime-settings.js'
import {SchedulesRepository} from './schedules.js'
import {TeamsRepository} from './teams.js'
import {TokensRepository} from './tokens.js'

export type * from './records.js'
export {toTimestamp, type Clock} from './clock.js'
export {isUuid, newId} from './ids.js'
export {oneOffEnded} from './dynos.js'
export type {LogDrainRecord} from './log-drains.js'
export type {AddonAttachmentRecord, AddonRecord, AddonState} from './addons.js'
export type {AuditEventRecord, AuditEventInput} from './audit.js'
export type {InvitationRecord} from './invitations.js'
export {INVITATION_TTL_MS} from './invitations.js'
export type {CollaboratorRecord, TeamMemberRecord, TeamRecord, TeamRole} from './teams.js'
export {TEAM_ROLES} from './teams.js'

export interface StoreOptions {
  /** The database file, or `:memory:`. */
  path: string
  clock?: Clock
}

export class Store {
  readonly db: Database
  readonly clock: Clock
  readonly accounts: AccountsRepository
  readonly tokens: TokensRepository
  readonly apps: AppsRepository
  readonly config: ConfigRepository
  readonly releases: ReleasesRepository
  readonly formation: FormationRepository
  readonly dynos: DynosRepository
  readonly logSessions: LogSessionsRepository
  readonly schedules: SchedulesRepository
  readonly runtimeSettings: RuntimeSettingsRepository
  readonly logDrains: LogDrainsRepository
  readonly buildpacks: BuildpacksRepository
  readonly addons: AddonsRepository
  readonly invitations: InvitationsRepository
  readonly teams: TeamsRepository
  readonly audit: AuditRepository
  private closed = false

  constructor(options: StoreOptions) {
    this.clock = options.clock ?? systemClock
    // SQLite creates the file (and its -wal and -shm, with the same mode) under the umask, 0644
    // as a rule: config vars and token hashes readable by any local user. Made private first.
    if (options.path !== ':memory:') closeSync(openSync(options.path, 'a', 0o600))
    this.db = new BetterSqlite3(options.path)
    this.db.pragma('journal_mode = WAL')
    // A reply the API sends says the change is durable. In WAL mode, synchronous=NORMAL does not
    // fsync the WAL at each commit, so a power cut (or a kernel crash) could lose transactions
    // that clients were told had succeeded; FULL syncs the WAL before every commit returns.
    this.db.pragma('synchronous = FULL')
    this.db.pragma('foreign_keys = ON')
    // `tug server:tokens` may open the same file while a server runs.
    this.db.pragma('busy_timeout = 5000')
    migrate(this.db)
    this.accounts = new AccountsRepository(this.db, this.clock)
    this.tokens = new TokensRepository(this.db, this.clock)
    this.apps = new AppsRepository(this.db, this.clock)
    this.config = new ConfigRepository(this.db, this.clock)
    this.releases = new ReleasesRepository(this.db, this.clock)
    this.formation = new FormationRepository(this.db, this.clock)
    this.dynos = new DynosRepository(this.db, this.clock)
    this.logSessions = new LogSessionsRepository(this.db, this.clock)
    this.schedules = new SchedulesRepository(this.db, this.clock)
    this.runtimeSettings = new RuntimeSettingsRepository(this.db, this.clock)
    this.logDrains = new LogDrainsRepository(this.db, this.clock)
    this.buildpacks = new BuildpacksRepository(this.db, this.clock)
    this.addons = new AddonsRepository(this.db, this.clock)
    this.invitations = new InvitationsRepository(this.db, this.clock)
    this.teams = new TeamsRepository(this.db, this.clock)
    this.audit = new AuditRepository(this.db, this.clock)
  }

  /**
   * Runs `fn` in one transaction (IMMEDIATE: the write lock is taken up front, so a
   * read-then-write cannot be overtaken). Nested calls become savepoints.
   */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate()
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.db.close()
  }
}
