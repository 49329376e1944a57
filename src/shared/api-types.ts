// The wire types of the Heroku Platform API v3 subset tug speaks, shared by the CLI's client and
// the control plane's routes. Field names and nullability follow ../shared/platform-api.md:
// every property is present on the wire, `null` when unset (the schema's strictProperties).

export type Uuid = string
/** RFC 3339 in UTC with whole seconds and a `Z` suffix, e.g. `2012-01-01T12:00:00Z`. */
export type Timestamp = string

export interface IdName {
  id: Uuid
  name: string
}

export interface AppRef {
  id: Uuid
  name: string
}

export interface App {
  acm: boolean
  archived_at: Timestamp | null
  buildpack_provided_description: string | null
  build_stack: IdName
  created_at: Timestamp
  generation: IdName
  git_url: string
  id: Uuid
  internal_routing: boolean | null
  maintenance: boolean
  name: string
  owner: {email: string; id: Uuid}
  organization: IdName | null
  team: IdName | null
  region: IdName
  released_at: Timestamp | null
  repo_size: number | null
  slug_size: number | null
  space: {id: Uuid; name: string; shield: boolean} | null
  stack: IdName
  updated_at: Timestamp
  web_url: string | null
  /** Only in `3.sdk` responses on Heroku; `heroku ps` reads it. */
  process_tier?: string | null
}

export interface AppCreateBody {
  name?: string | null
  region?: string | null
  stack?: string | null
  /** Issue 17: the team that owns the new app (name or id); the caller must be its admin or member. */
  team?: string | null
}

export interface AppUpdateBody {
  name?: string
  maintenance?: boolean
  build_stack?: string
}

export interface Formation {
  app: AppRef
  command: string
  created_at: Timestamp
  dyno_size: {id: Uuid; name: string}
  id: Uuid
  quantity: number
  /** Deprecated in the 2025 schema, but what Heroku's CLI reads and writes. */
  size: string
  type: string
  updated_at: Timestamp
}

/** A quantity as clients send it: a number, a numeric string, or a relative `"+1"` / `"-1"`. */
export type QuantityInput = number | string

export interface FormationUpdate {
  type: string
  quantity?: QuantityInput
  size?: string
  dyno_size?: {id?: Uuid; name?: string}
}

export interface FormationBatchUpdateBody {
  updates: FormationUpdate[]
}

export type DynoState = 'crashed' | 'down' | 'idle' | 'starting' | 'up'

export interface Dyno {
  app: AppRef
  attach_url: string | null
  /** tug only: the same session as attach_url, as an HTTP Upgrade (`tug-attach/1`) on the API's port. */
  attach_upgrade_url?: string
  command: string
  created_at: Timestamp
  id: Uuid
  name: string
  release: {id: Uuid; version: number}
  size: string
  state: DynoState
  type: string
  updated_at: Timestamp
}

export interface DynoCreateBody {
  command: string
  attach?: boolean
  env?: Record<string, string | number>
  force_no_tty?: boolean | null
  size?: string
  type?: string
  time_to_live?: number
}

export interface DynoSize {
  architecture: string
  compute: number
  cost: Record<string, unknown> | null
  dedicated: boolean
  precise_dyno_units: number
  generation: IdName
  id: Uuid
  memory: number
  name: string
  private_space_only: boolean
}

export interface LogSession {
  created_at: Timestamp
  id: Uuid
  logplex_url: string
  updated_at: Timestamp
}

export interface LogSessionCreateBody {
  /** A dyno name or a process type, matched by prefix (`web` matches `web.1`). */
  dyno?: string
  dyno_name?: string
  type?: string
  source?: string
  lines?: number
  tail?: boolean
}

/** `GET` answers the whole map; `PATCH` takes string values to set and `null` to unset. */
export type ConfigVars = Record<string, string>
export type ConfigVarsUpdate = Record<string, string | null>

export type ReleaseStatus = 'pending' | 'succeeded' | 'failed' | 'expired'

export interface Release {
  addon_plan_names: string[]
  artifacts: Array<{type: string; id: Uuid}>
  app: AppRef
  created_at: Timestamp
  description: string
  id: Uuid
  updated_at: Timestamp
  slug: {id: Uuid} | null
  status: ReleaseStatus
  user: {id: Uuid; email: string}
  version: number
  current: boolean
  output_stream_url: string | null
  eligible_for_rollback: boolean
}

/** Create takes `slug`; rollback takes `release` (an id, or a version number as a string). */
export interface ReleaseCreateBody {
  slug?: Uuid
  release?: string
  description?: string
}

export interface Account {
  allow_tracking: boolean
  beta: boolean
  created_at: Timestamp
  updated_at: Timestamp
  email: string
  federated: boolean
  id: Uuid
  identity_provider: null | {id: Uuid; name: string}
  last_login: Timestamp | null
  name: string | null
  sms_number: string | null
  suspended_at: Timestamp | null
  delinquent_at: Timestamp | null
  two_factor_authentication: boolean
  verified: boolean
  country_of_residence: string | null
  default_organization: IdName | null
  default_team: IdName | null
}

export interface Source {
  source_blob: {get_url: string; put_url: string}
}

export type BuildStatus = 'pending' | 'succeeded' | 'failed'

export interface Build {
  app: {id: Uuid}
  buildpacks: Array<{url: string; name: string}> | null
  created_at: Timestamp
  id: Uuid
  output_stream_url: string | null
  release: {id: Uuid} | null
  slug: {id: Uuid} | null
  source_blob: {checksum: string | null; url: string; version: string | null; version_description: string | null}
  stack: string
  status: BuildStatus
  updated_at: Timestamp
  user: {id: Uuid; email: string}
}

export interface BuildCreateBody {
  source_blob: {url: string; checksum?: string | null; version?: string | null}
}

/**
 * One of the buildpacks an app's builds run (Heroku's buildpack-installation):
 * `GET /apps/{app}/buildpack-installations`, and `PUT` the same with a
 * BuildpackInstallationsUpdateBody, which replaces the list. An empty list means the built-in
 * buildpacks, detected in order.
 */
export interface BuildpackInstallation {
  /** `url` as given: `heroku/nodejs`, a directory, a `file://`, `https://` or git URL; `name` is the same. */
  buildpack: {url: string; name: string}
  /** 0 for the first buildpack to run (as Heroku counts). */
  ordinal: number
}

export interface BuildpackInstallationsUpdateBody {
  updates: Array<{buildpack: string}>
}

export interface LogDrain {
  addon: IdName | null
  app: AppRef | null
  created_at: Timestamp
  id: Uuid
  token: string
  updated_at: Timestamp
  url: string
}

export interface RateLimit {
  remaining: number
}

/** The error body of every non-2xx answer. `error` mirrors `message` for legacy clients. */
export interface ErrorBody {
  id: string
  message: string
  url?: string
  resource?: string
  app?: {name: string}
  limit?: number
  error?: string
}

/** The media type every request names; `version=3.<variant>` is accepted by the server too. */
export const API_ACCEPT = 'application/vnd.heroku+json; version=3'

/**
 * A scheduled one-off run (tug's own extension, not in Heroku's Platform API):
 * `GET/POST /apps/{app}/schedules`, `DELETE /apps/{app}/schedules/{id}`. Each run is a one-off
 * dyno `scheduler.N`.
 */
export interface Schedule {
  app: AppRef
  id: Uuid
  /** Five-field cron expression (or @daily, @hourly, ...). */
  schedule: string
  /** IANA time zone the expression is read in. */
  timezone: string
  command: string
  size: string
  next_run_at: Timestamp | null
  last_run_at: Timestamp | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface ScheduleCreateBody {
  schedule: string
  command: string
  /** Default `UTC`. */
  timezone?: string
  size?: string
}

/**
 * Per-app settings of the dyno manager that are not config vars (tug's own extension):
 * `GET/PATCH /apps/{app}/runtime-settings`. Changing one makes no release and restarts nothing.
 */
export interface RuntimeSettings {
  /** SIGTERM to SIGKILL for the app's dynos; null = the control plane's default (30 s). */
  stop_grace_seconds: number | null
  /** With two or more web dynos, restart them one at a time (the setting in effect). */
  rolling_restart: boolean
  /** What a null stop_grace_seconds means on this control plane (older ones leave it out). */
  default_stop_grace_seconds?: number
}

/** Only the fields given change; null returns a setting to its default. */
export interface RuntimeSettingsUpdateBody {
  /** 1..300, or null. */
  stop_grace_seconds?: number | null
  /** null = the default (true). */
  rolling_restart?: boolean | null
}

// Add-ons (issue 16): Heroku's add-on, attachment, service and plan shapes.

export type AddOnState = 'provisioning' | 'provisioned' | 'deprovisioned'

export interface AddOnPrice {
  cents: number
  contract: boolean
  unit: string
}

export interface AddOn {
  actions: Array<Record<string, unknown>>
  addon_service: IdName
  app: AppRef
  billed_price: AddOnPrice | null
  billing_entity: {id: Uuid; name: string; type: 'app' | 'team'}
  /** The config vars its attachments set, on every app it is attached to. */
  config_vars: string[]
  created_at: Timestamp
  id: Uuid
  name: string
  plan: IdName
  provider_id: string
  provision_message?: string
  state: AddOnState
  updated_at: Timestamp
  web_url: string | null
}

export interface AddOnAttachment {
  addon: {id: Uuid; name: string; app: AppRef}
  app: AppRef
  created_at: Timestamp
  id: Uuid
  /** The config var's prefix: DATABASE for DATABASE_URL. */
  name: string
  namespace: string | null
  updated_at: Timestamp
  web_url: string | null
  log_input_url: string | null
}

export interface AddOnService {
  cli_plugin_name: string | null
  created_at: Timestamp
  human_name: string
  id: Uuid
  name: string
  state: 'alpha' | 'beta' | 'ga' | 'shutdown'
  supports_multiple_installations: boolean
  supports_sharing: boolean
  updated_at: Timestamp
  supported_generations: IdName[]
}

export interface AddOnPlan {
  addon_service: IdName
  compliance: Array<'HIPAA' | 'PCI'> | null
  created_at: Timestamp
  default: boolean
  description: string
  human_name: string
  id: Uuid
  installable_inside_private_network: boolean
  installable_outside_private_network: boolean
  name: string
  price: AddOnPrice
  space_default: boolean
  state: string
  updated_at: Timestamp
  visible: boolean
}

export interface AddOnCreateBody {
  /** `service[:plan]` or `{name}`; Heroku's names work too (`heroku-postgresql:essential-0`). */
  plan: string | {name: string}
  attachment?: {name?: string | null} | null
  name?: string | null
  config?: Record<string, string> | null
  confirm?: string | null
}

export interface AddOnAttachmentCreateBody {
  addon: string
  app: string
  name?: string | null
  confirm?: string | null
}

// Issue 17: users, access and scoped tokens. Heroku's shapes where Heroku has them; tug's
// extensions (an authorization's app, the viewer role, invitations, the audit trail) beside them.

export type TokenScope = 'read' | 'write' | 'global'
/** Every scope, weakest first (what the CLI offers and the server accepts). */
export const TOKEN_SCOPES: readonly TokenScope[] = ['read', 'write', 'global']

export interface OAuthAuthorization {
  id: Uuid
  description: string
  /** An array on the wire, as Heroku's: tug's tokens carry exactly one of read, write, global. */
  scope: TokenScope[]
  created_at: Timestamp
  updated_at: Timestamp
  /** `token` is only there in the answer that created it: the control plane keeps a hash. */
  access_token: {id: Uuid; token?: string; expires_in: number | null} | null
  /** tug's extension: the one app the token may act on; null when it acts as its user everywhere. */
  app?: AppRef | null
  user?: {id: Uuid; email: string; full_name?: string | null}
  client?: null | {id: Uuid; name: string; redirect_uri: string}
  grant?: null
  refresh_token?: null
  session?: null
}

export interface OAuthAuthorizationCreateBody {
  description?: string
  scope?: TokenScope[]
  expires_in?: number
  /** tug's extension: an app name or id. */
  app?: string
}

export type UserState = 'invited' | 'active'

export interface User {
  id: Uuid
  email: string
  admin: boolean
  state: UserState
  created_at: Timestamp
}

export interface UserInvitation {
  id: Uuid
  email: string
  /** One-time: the invitee gives it to `tug login URL --invite CODE`. */
  code: string
  expires_at: Timestamp
}

export interface UserInvitationAcceptBody {
  code: string
  password: string
}

export type TeamRole = 'admin' | 'member' | 'viewer'
/** Every team role, strongest first. */
export const TEAM_ROLES: readonly TeamRole[] = ['admin', 'member', 'viewer']
export type CollaboratorRole = 'owner' | 'collaborator' | TeamRole

export interface Collaborator {
  app: AppRef
  created_at: Timestamp
  id: Uuid
  permissions?: Array<{name: string; description?: string}>
  role: CollaboratorRole | null
  updated_at: Timestamp
  user: {email: string; federated: boolean; id: Uuid}
}

export interface Team {
  id: Uuid
  name: string
  created_at: Timestamp
  updated_at: Timestamp
  /** The caller's role in the team; null for an admin who is not a member. */
  role: TeamRole | null
  type?: 'team'
  default?: boolean
}

/** Heroku's team app permission (GET /teams/permissions): what a team role grants on the team's apps. */
export interface TeamAppPermission {
  name: 'view' | 'deploy' | 'operate' | 'manage'
  description: string
}

export interface TeamMember {
  created_at: Timestamp
  email: string
  federated: boolean
  id: Uuid
  role: TeamRole | null
  updated_at: Timestamp
  user: {email: string; id: Uuid; name: string | null}
}

export interface TeamMemberUpdateBody {
  user: string
  role: TeamRole
}

export interface AuditEvent {
  id: Uuid
  created_at: Timestamp
  actor: {id: Uuid; email: string} | null
  token: {id: Uuid; description: string} | null
  app: AppRef | null
  /** e.g. formation.update, config.update, collaborator.create, login.failed */
  action: string
  method: string
  path: string
}
