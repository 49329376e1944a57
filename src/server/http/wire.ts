// Store records -> the wire types of src/shared/api-types.ts. Every property the schema lists is
// present, null when unset.
import type {Account, App, Dyno, Formation, LogSession, Release} from '../../shared/api-types.js'
import {dynoSizeSpec, findRegion, findStack, GENERATION, REGIONS, STACKS} from '../domain/catalog.js'
import {DEFAULT_ROUTER_PORT} from '../router/router.js'
import type {AccountRecord, AppRecord, DynoRecord, FormationRecord, ReleaseRecord, Store} from '../store/index.js'

/** An app's address through the router on its default port (when no router runs to say its own). */
export function webUrl(name: string): string {
  return `http://${name}.localhost:${DEFAULT_ROUTER_PORT}/`
}

export function accountToWire(account: AccountRecord): Account {
  return {
    allow_tracking: account.allow_tracking,
    beta: account.beta,
    created_at: account.created_at,
    updated_at: account.updated_at,
    email: account.email,
    federated: false,
    id: account.id,
    identity_provider: null,
    last_login: account.last_login,
    name: account.name,
    sms_number: null,
    suspended_at: null,
    delinquent_at: null,
    two_factor_authentication: false,
    verified: false,
    country_of_residence: null,
    default_organization: null,
    default_team: null,
  }
}

function stackRef(name: string): {id: string; name: string} {
  const stack = findStack(name) ?? (STACKS[0] as NonNullable<ReturnType<typeof findStack>>)
  return {id: stack.id, name: stack.name}
}

/** `eco` / `basic` when the app runs only that tier, else `production` (what `heroku ps` reads). */
export function processTier(store: Store, app: AppRecord): string {
  const tiers = new Set(store.formation.list(app.id).filter((f) => f.quantity > 0).map((f) => dynoSizeSpec(f.size).tier))
  if (tiers.size === 1 && tiers.has('eco')) return 'eco'
  if (tiers.size === 1 && tiers.has('basic')) return 'basic'
  return 'production'
}

/** `webUrlFor`: where the running router serves the app (its port or domain may differ from the default). */
export function appToWire(store: Store, app: AppRecord, publicUrl: string, webUrlFor: (name: string) => string = webUrl): App {
  const owner = store.accounts.get(app.owner_id)
  const teamRecord = app.team_id === null ? undefined : store.teams.get(app.team_id)
  const team = teamRecord ? {id: teamRecord.id, name: teamRecord.name} : null
  const region = findRegion(app.region) ?? REGIONS[0]
  return {
    acm: false,
    archived_at: null,
    buildpack_provided_description: null,
    build_stack: stackRef(app.build_stack),
    created_at: app.created_at,
    generation: {...GENERATION},
    git_url: `${publicUrl}/${app.name}.git`,
    id: app.id,
    internal_routing: false,
    maintenance: app.maintenance,
    name: app.name,
    owner: {email: owner?.email ?? '', id: app.owner_id},
    organization: team,
    team,
    region: {id: region?.id ?? '', name: region?.name ?? app.region},
    released_at: app.released_at,
    repo_size: null,
    slug_size: null,
    space: null,
    stack: stackRef(app.stack),
    updated_at: app.updated_at,
    web_url: webUrlFor(app.name),
    process_tier: processTier(store, app),
  }
}

export function formationToWire(app: AppRecord, entry: FormationRecord): Formation {
  const size = dynoSizeSpec(entry.size).size
  return {
    app: {id: app.id, name: app.name},
    command: entry.command,
    created_at: entry.created_at,
    dyno_size: {id: size.id, name: size.name},
    id: entry.id,
    quantity: entry.quantity,
    size: size.name,
    type: entry.type,
    updated_at: entry.updated_at,
  }
}

export function dynoToWire(store: Store, app: AppRecord, dyno: DynoRecord, versions?: Map<string, number>): Dyno {
  const version = versions?.get(dyno.release_id) ?? store.releases.get(app.id, dyno.release_id)?.version ?? 0
  return {
    app: {id: app.id, name: app.name},
    attach_url: dyno.attach_url,
    command: dyno.command,
    created_at: dyno.created_at,
    id: dyno.id,
    name: dyno.name,
    release: {id: dyno.release_id, version},
    size: dyno.size,
    state: dyno.state,
    type: dyno.type,
    updated_at: dyno.updated_at,
  }
}

export function releaseToWire(store: Store, app: AppRecord, release: ReleaseRecord, emails?: Map<string, string>): Release {
  const email = emails?.get(release.user_id) ?? store.accounts.get(release.user_id)?.email ?? ''
  return {
    addon_plan_names: [],
    artifacts: release.slug_id ? [{type: 'slug', id: release.slug_id}] : [],
    app: {id: app.id, name: app.name},
    created_at: release.created_at,
    description: release.description,
    id: release.id,
    updated_at: release.updated_at,
    slug: release.slug_id ? {id: release.slug_id} : null,
    status: release.status,
    user: {id: release.user_id, email},
    version: release.version,
    current: app.current_release_id === release.id,
    output_stream_url: null,
    eligible_for_rollback: true,
  }
}

export function logSessionToWire(session: {id: string; created_at: string}, url: string): LogSession {
  return {created_at: session.created_at, id: session.id, logplex_url: url, updated_at: session.created_at}
}
