// The add-on services tug provides and their plans. Ids are constants, as the dyno sizes' are,
// so that clients may cache them. A plan's limits are what its provider enforces: a connection
// limit on the PostgreSQL role, maxmemory and maxclients on the Redis server.
import {invalidParams} from '../domain/errors.js'

export interface PlanSpec {
  id: string
  /** Within the service: `mini`; on the wire `postgresql:mini`. */
  name: string
  human_name: string
  description: string
  default: boolean
  /** PostgreSQL: the role's CONNECTION LIMIT; Redis: maxclients. */
  connections: number
  /** Redis only: maxmemory in bytes. */
  maxMemoryBytes?: number
}

export interface ServiceSpec {
  id: string
  name: string
  human_name: string
  /** Other names a client may give: Heroku's, so `heroku addons:create heroku-postgresql` works. */
  aliases: readonly string[]
  /** The default attachment name: its config var is `<name>_URL`. */
  attachmentName: string
  /** What `addons:create` says once one is made (Heroku's provision_message). */
  provisionMessage: string
  plans: readonly PlanSpec[]
  /** Plan names other platforms use, mapped onto tug's. */
  planAliases: Readonly<Record<string, string>>
  created_at: string
}

const MB = 1024 * 1024

export const SERVICES: readonly ServiceSpec[] = [
  {
    id: '6c67493d-8fc2-4cd4-9161-4f1ec11cbe69',
    name: 'postgresql',
    human_name: 'PostgreSQL',
    aliases: ['heroku-postgresql', 'postgres', 'pg'],
    attachmentName: 'DATABASE',
    provisionMessage: 'Database has been created and is available. It is empty.',
    plans: [
      {id: '0cf4be6e-d4b0-4bc8-a54d-2c3d7bd1a9a1', name: 'mini', human_name: 'Mini', description: 'A database and its own role, 20 connections', default: true, connections: 20},
      {id: '5f23c63b-1e54-4f0e-9a4c-7f2c1a9c8e02', name: 'basic', human_name: 'Basic', description: 'A database and its own role, 40 connections', default: false, connections: 40},
      {id: '9b2e1c0a-6a55-4f2c-8f5e-3d4a2b1c0e03', name: 'standard-0', human_name: 'Standard 0', description: 'A database and its own role, 120 connections', default: false, connections: 120},
    ],
    planAliases: {'hobby-dev': 'mini', 'hobby-basic': 'basic', 'essential-0': 'mini', 'essential-1': 'basic', 'essential-2': 'standard-0'},
    created_at: '2026-01-01T00:00:00Z',
  },
  {
    id: 'b7f0d3a2-91c4-4e6b-8d2a-5c1e0f9a7b41',
    name: 'redis',
    human_name: 'Redis',
    aliases: ['heroku-redis'],
    attachmentName: 'REDIS',
    provisionMessage: 'Redis server has been created and is available.',
    plans: [
      {id: '1d7c3e5a-2b4f-4a6c-9e8d-0f1a2b3c4d51', name: 'mini', human_name: 'Mini', description: 'A Redis server of its own, 25 MB, 20 clients', default: true, connections: 20, maxMemoryBytes: 25 * MB},
      {id: '2e8d4f6b-3c5a-4b7d-8f9e-1a2b3c4d5e52', name: 'premium-0', human_name: 'Premium 0', description: 'A Redis server of its own, 50 MB, 40 clients', default: false, connections: 40, maxMemoryBytes: 50 * MB},
      {id: '3f9e5a7c-4d6b-4c8e-9a0f-2b3c4d5e6f53', name: 'premium-1', human_name: 'Premium 1', description: 'A Redis server of its own, 100 MB, 80 clients', default: false, connections: 80, maxMemoryBytes: 100 * MB},
    ],
    planAliases: {'hobby-dev': 'mini'},
    created_at: '2026-01-01T00:00:00Z',
  },
]

/** The service called `name` (tug's name, an alias such as Heroku's, or its id). */
export function findService(name: string): ServiceSpec | undefined {
  const wanted = name.trim().toLowerCase()
  return SERVICES.find((s) => s.name === wanted || s.id === wanted || s.aliases.includes(wanted))
}

const serviceList = (): string => SERVICES.map((s) => s.name).join(', ')

/** A 422 for a service tug does not have, naming those it has. */
export function unknownService(name: string): Error {
  return invalidParams(`Couldn't find either the add-on service or the add-on plan of "${name}". tug's add-on services are ${serviceList()}.`)
}

export function requireService(name: string): ServiceSpec {
  const service = findService(name)
  if (!service) throw unknownService(name)
  return service
}

export function findPlan(service: ServiceSpec, name: string): PlanSpec | undefined {
  const wanted = name.trim().toLowerCase()
  const canonical = service.planAliases[wanted] ?? wanted
  return service.plans.find((p) => p.name === canonical || p.id === wanted)
}

export function defaultPlan(service: ServiceSpec): PlanSpec {
  return service.plans.find((p) => p.default) ?? (service.plans[0] as PlanSpec)
}

/**
 * `service`, `service:plan` (either side may be Heroku's name), or a plan's id: what
 * `addons:create` and Heroku's `plan` field carry. A 422 naming the valid ones otherwise.
 */
export function resolvePlan(identity: string): {service: ServiceSpec; plan: PlanSpec} {
  for (const service of SERVICES) {
    const byId = service.plans.find((p) => p.id === identity.toLowerCase())
    if (byId) return {service, plan: byId}
  }
  const [serviceName = '', planName, ...rest] = identity.split(':')
  const service = findService(serviceName)
  if (!service || rest.length > 0) throw unknownService(identity)
  if (planName === undefined || planName.trim() === '') return {service, plan: defaultPlan(service)}
  const plan = findPlan(service, planName)
  if (!plan) {
    throw invalidParams(`Couldn't find the plan "${planName}" of ${service.name}. Its plans are ${service.plans.map((p) => `${service.name}:${p.name}`).join(', ')}.`)
  }
  return {service, plan}
}

export function requireServicePlan(service: string, plan: string): {service: ServiceSpec; plan: PlanSpec} {
  const spec = requireService(service)
  const found = findPlan(spec, plan)
  if (!found) throw invalidParams(`${spec.name} has no plan "${plan}". Its plans are ${spec.plans.map((p) => `${spec.name}:${p.name}`).join(', ')}.`)
  return {service: spec, plan: found}
}
