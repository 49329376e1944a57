// What the repositories hand out: plain rows with snake_case fields, as the columns name them,
// booleans and JSON columns decoded. Wire shapes are built from these in src/server/http/wire.ts.
import type {DynoState} from '../../shared/api-types.js'

export interface AccountRecord {
  id: string
  email: string
  name: string | null
  allow_tracking: boolean
  beta: boolean
  created_at: string
  updated_at: string
  last_login: string | null
  /** The control plane's administrator: sees and may do everything, manages users. */
  admin: boolean
  /** When the account was invited (null for the first admin); activated when its password was set. */
  invited_at: string | null
  activated_at: string | null
  /** A removed user keeps its row (releases and audit events name it) but can no longer log in. */
  removed_at: string | null
}

/** What a token may do: read only, read and change apps, or everything (tokens, users, account). */
export type TokenScope = 'read' | 'write' | 'global'

/** A token as listed: never the secret, which exists only in the answer to `create`. */
export interface TokenRecord {
  id: string
  account_id: string
  description: string | null
  created_at: string
  last_used_at: string | null
  scope: TokenScope
  /** The one app the token may act on; null for all the account's apps. */
  app_id: string | null
  expires_at: string | null
}

export interface AppRecord {
  id: string
  name: string
  owner_id: string
  region: string
  stack: string
  build_stack: string
  maintenance: boolean
  current_release_id: string | null
  released_at: string | null
  created_at: string
  updated_at: string
  /** The team that owns the app beside its owner (issue 17); null for a personal app. */
  team_id: string | null
}

export interface ProcessTypeRecord {
  name: string
  command: string
}

export interface ReleaseRecord {
  id: string
  app_id: string
  version: number
  description: string
  status: 'pending' | 'succeeded' | 'failed' | 'expired'
  slug_id: string | null
  /** Where the release's code is unpacked, under the data directory; null before any deploy. */
  code_dir: string | null
  /** The Procfile's process types; null when the release carries no code. */
  process_types: ProcessTypeRecord[] | null
  config_id: string
  user_id: string
  created_at: string
  updated_at: string
  /** When the code at code_dir was removed to keep the disk bounded (builds/disk.ts); null while it is there. */
  code_pruned_at: string | null
}

export interface FormationRecord {
  id: string
  app_id: string
  type: string
  command: string
  quantity: number
  size: string
  created_at: string
  updated_at: string
}

export interface DynoRecord {
  id: string
  app_id: string
  name: string
  type: string
  one_off: boolean
  command: string
  size: string
  state: DynoState
  release_id: string
  attach: boolean
  attach_url: string | null
  force_no_tty: boolean
  env: Record<string, string>
  time_to_live: number | null
  /** The backend's record of the running process (JSON), for recovery after a control-plane crash. */
  backend_record: string | null
  /** One-offs: the exit status once over (128+n for signal n), and when it ended. */
  exit_status: number | null
  ended_at: string | null
  created_at: string
  updated_at: string
}

export interface ScheduleRecord {
  id: string
  app_id: string
  /** Five-field cron expression. */
  expression: string
  /** IANA time zone the expression is read in. */
  timezone: string
  command: string
  size: string
  last_run_at: string | null
  created_at: string
  updated_at: string
}

export interface LogSessionRecord {
  id: string
  app_id: string
  dyno: string | null
  dyno_name: string | null
  type: string | null
  source: string | null
  lines: number | null
  tail: boolean
  created_at: string
  expires_at: string
  /** When the stream was first read (then it expires an hour later); null while unused. */
  connected_at?: string | null
}

export type ConfigVarsMap = Record<string, string>
