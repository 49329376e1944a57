// The redis provider: one redis-server per add-on, run and supervised by the control plane, on a
// port of its own on 127.0.0.1, with a password, the plan's maxmemory and maxclients, and an
// append-only file in <dataDir>/addons/redis/<addon id>/ (so its data outlives a restart of the
// control plane: each provisioned instance is started again, on the same port, at start).
import {randomBytes} from 'node:crypto'
import {chownSync, existsSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {probeFreePort} from '../runtime/ports.js'
import type {PlanSpec} from './catalog.js'
import type {AddonProvider, ProvisionedResource, ProvisionRequest} from './provider.js'
import {redisCommands} from './resp.js'
import {serviceUser} from './service-user.js'
import {stopLeftover, SupervisedProcess, type ServiceUser} from './supervised-process.js'

export interface RedisProviderOptions {
  /** <dataDir>/addons/redis */
  dir: string
  redisServer?: string
  warn: (message: string) => void
}

interface RedisResource {
  url: string
  port: number
  password: string
}

const HOST = '127.0.0.1'

function config(port: number, password: string, plan: PlanSpec): string {
  return [
    `bind ${HOST}`,
    `port ${port}`,
    'protected-mode yes',
    `requirepass ${password}`,
    `maxmemory ${plan.maxMemoryBytes ?? 25 * 1024 * 1024}`,
    // Full is full: an app's data is never dropped to make room.
    'maxmemory-policy noeviction',
    `maxclients ${plan.connections}`,
    'appendonly yes',
    'appendfsync everysec',
    'dir ./',
    'daemonize no',
    'logfile ""',
    // An app may not raise its own maxmemory, nor point the server's files elsewhere.
    'rename-command CONFIG ""',
    '',
  ].join('\n')
}

export class RedisProvider implements AddonProvider {
  private readonly running = new Map<string, SupervisedProcess>()
  private readonly redisServer: string
  private readonly user: ServiceUser | undefined

  constructor(private readonly options: RedisProviderOptions) {
    this.redisServer = options.redisServer ?? '/usr/bin/redis-server'
    this.user = serviceUser('redis')
  }

  private instanceDir(addonId: string): string {
    return join(this.options.dir, addonId)
  }

  async provision(request: ProvisionRequest): Promise<ProvisionedResource> {
    const dir = this.instanceDir(request.addonId)
    mkdirSync(dir, {recursive: true, mode: 0o700})
    const port = await probeFreePort(HOST)
    const password = randomBytes(32).toString('hex')
    writeFileSync(join(dir, 'redis.conf'), config(port, password, request.plan), {mode: 0o600})
    if (this.user) {
      chownSync(dir, this.user.uid, this.user.gid)
      chownSync(join(dir, 'redis.conf'), this.user.uid, this.user.gid)
    }
    // The user `default` (whose password requirepass sets): redis-cli 7 sends no AUTH for an empty one.
    const resource: RedisResource = {url: `redis://default:${password}@${HOST}:${port}`, port, password}
    await this.run(request.addonId, request.providerId, resource)
    return {...resource}
  }

  private async run(addonId: string, providerId: string, resource: RedisResource): Promise<void> {
    const process = new SupervisedProcess({
      label: `redis-server of ${providerId}`,
      command: this.redisServer,
      // redis-server makes a relative path absolute, and the redis user may not walk the data
      // directory's path: /proc/self/cwd leads to its own directory without walking it.
      args: ['/proc/self/cwd/redis.conf'],
      dir: this.instanceDir(addonId),
      ...(this.user ? {user: this.user} : {}),
      probe: async () => {
        const [auth, pong] = await redisCommands(resource.port, [['AUTH', resource.password], ['PING']], 1000)
        return auth === '+OK' && pong === '+PONG'
      },
      warn: this.options.warn,
    })
    this.running.set(addonId, process)
    try {
      await process.start()
    } catch (error) {
      this.running.delete(addonId)
      throw error
    }
  }

  async resume(resources: ReadonlyArray<{addonId: string; providerId: string; resource: Record<string, unknown>}>): Promise<void> {
    await Promise.all(
      resources.map(async ({addonId, providerId, resource}) => {
        try {
          await this.run(addonId, providerId, resource as unknown as RedisResource)
        } catch (error) {
          this.options.warn(`The Redis add-on ${providerId} did not start: ${(error as Error).message}`)
        }
      }),
    )
  }

  unavailable(): string | undefined {
    return existsSync(this.redisServer) ? undefined : `${this.redisServer} is not installed (apt-get install redis-server)`
  }

  async deprovision(request: {addonId: string}): Promise<void> {
    const dir = this.instanceDir(request.addonId)
    const process = this.running.get(request.addonId)
    this.running.delete(request.addonId)
    await process?.stop()
    await stopLeftover(dir, this.redisServer)
    rmSync(dir, {recursive: true, force: true})
  }

  async close(): Promise<void> {
    const all = [...this.running.values()]
    this.running.clear()
    await Promise.all(all.map((p) => p.stop()))
  }
}
