// API objects for tests, with realistic defaults and per-test overrides.
import type {App, Dyno, Formation, Release} from '../../src/shared/api-types.js'

export function dyno(name: string, fields: Partial<Dyno> = {}): Dyno {
  const type = name.slice(0, name.lastIndexOf('.'))
  return {
    app: {id: '00000000-0000-0000-0000-000000000001', name: 'shop'},
    attach_url: null,
    command: type === 'run' ? 'bash' : 'npm start',
    created_at: '2026-11-27T11:00:00Z',
    id: `00000000-0000-0000-0000-${String(name.length).padStart(12, '0')}`,
    name,
    release: {id: '00000000-0000-0000-0000-000000000007', version: 7},
    size: 'Standard-1X',
    state: 'up',
    type,
    updated_at: '2026-11-27T11:19:13Z',
    ...fields,
  }
}

export function formation(type: string, quantity: number, size = 'Standard-1X'): Formation {
  return {
    app: {id: '00000000-0000-0000-0000-000000000001', name: 'shop'},
    command: 'npm start',
    created_at: '2026-11-27T11:00:00Z',
    dyno_size: {id: '00000000-0000-0000-0000-0000000000aa', name: size},
    id: '00000000-0000-0000-0000-0000000000bb',
    quantity,
    size,
    type,
    updated_at: '2026-11-27T11:00:00Z',
  }
}

export function release(version: number, fields: Partial<Release> = {}): Release {
  return {
    addon_plan_names: [],
    artifacts: [],
    app: {id: '00000000-0000-0000-0000-000000000001', name: 'shop'},
    created_at: '2026-11-27T11:15:29Z',
    description: `Deploy v${version}`,
    id: `00000000-0000-0000-0000-${String(version).padStart(12, '0')}`,
    updated_at: '2026-11-27T11:15:29Z',
    slug: null,
    status: 'succeeded',
    user: {id: '00000000-0000-0000-0000-0000000000ee', email: 'you@example.com'},
    version,
    current: false,
    output_stream_url: null,
    eligible_for_rollback: true,
    ...fields,
  }
}

export function app(name = 'shop', fields: Partial<App> = {}): App {
  return {
    acm: false,
    archived_at: null,
    buildpack_provided_description: null,
    build_stack: {id: '00000000-0000-0000-0000-0000000000c1', name: 'heroku-24'},
    created_at: '2026-11-27T10:00:00Z',
    generation: {id: '00000000-0000-0000-0000-0000000000c2', name: 'cedar'},
    git_url: `https://tug.example.com/${name}.git`,
    id: '00000000-0000-0000-0000-000000000001',
    internal_routing: null,
    maintenance: false,
    name,
    owner: {email: 'you@example.com', id: '00000000-0000-0000-0000-0000000000ee'},
    organization: null,
    team: null,
    region: {id: '00000000-0000-0000-0000-0000000000c3', name: 'us'},
    released_at: '2026-11-27T11:15:29Z',
    repo_size: null,
    slug_size: null,
    space: null,
    stack: {id: '00000000-0000-0000-0000-0000000000c1', name: 'heroku-24'},
    updated_at: '2026-11-27T11:15:29Z',
    web_url: `https://${name}.tug.example.com/`,
    ...fields,
  }
}
