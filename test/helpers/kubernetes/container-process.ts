// What the fake kubelet does on the host for a container: resolve its env (Secrets, $(VAR)
// references, the rewritten PORT), spawn its command as a process group (under a pseudo-terminal
// for `tty: true`), fetch and unpack a slug for the slug-fetch init container, probe readiness.
import {spawn, type ChildProcess} from 'node:child_process'
import {get as httpGet, request as httpRequest} from 'node:http'
import {get as httpsGet} from 'node:https'
import {createConnection, createServer} from 'node:net'
import {signalGroup} from '../../../src/server/runtime/process-groups.js'
import {ptyCommand} from './pty-runner.js'
import type {Store} from './store.js'
import type {ContainerSpec, Probe} from './types.js'

export class ConfigError extends Error {}

function secretValue(store: Store, namespace: string, name: string, key: string | undefined, optional: boolean | undefined): Record<string, string> | undefined {
  const secret = store.get('Secret', namespace, name)
  if (!secret) {
    if (optional) return undefined
    throw new ConfigError(`secret "${name}" not found`)
  }
  const data = (secret.data ?? {}) as Record<string, string>
  const decoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]))
  if (key !== undefined && !(key in decoded)) {
    if (optional) return undefined
    throw new ConfigError(`couldn't find key ${key} in Secret ${namespace}/${name}`)
  }
  return decoded
}

/** Kubernetes' $(VAR) expansion ($$ escapes). */
export function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name: string | undefined) => (match === '$$' ? '$' : name !== undefined && name in env ? (env[name] as string) : match))
}

/** The container's environment as the kubelet builds it; throws ConfigError for a missing Secret or key. */
export function containerEnv(store: Store, namespace: string, podName: string, spec: ContainerSpec, extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const source of spec.envFrom ?? []) {
    if (!source.secretRef) continue
    const values = secretValue(store, namespace, source.secretRef.name, undefined, source.secretRef.optional)
    for (const [k, v] of Object.entries(values ?? {})) env[`${source.prefix ?? ''}${k}`] = v
  }
  for (const variable of spec.env ?? []) {
    if (variable.valueFrom?.secretKeyRef) {
      const ref = variable.valueFrom.secretKeyRef
      const values = secretValue(store, namespace, ref.name, ref.key, ref.optional)
      if (values) env[variable.name] = values[ref.key] as string
    } else if (variable.valueFrom?.fieldRef) {
      const path = variable.valueFrom.fieldRef.fieldPath
      env[variable.name] = path === 'metadata.name' ? podName : path === 'metadata.namespace' ? namespace : path === 'status.podIP' ? '127.0.0.1' : ''
    } else env[variable.name] = expand(variable.value ?? '', env)
  }
  return {HOSTNAME: podName, ...env, ...extra}
}

export interface SpawnOptions {
  argv: string[]
  cwd: string
  env: Record<string, string>
  stdin: boolean
  tty: boolean
}

/** Spawns in its own process group; `tty` runs it under a pseudo-terminal (pty-runner.ts: stderr merged, resizable). */
export function spawnContainer({argv, cwd, env, stdin, tty}: SpawnOptions): ChildProcess {
  const [file, args] = tty ? ptyCommand(argv) : [argv[0] as string, argv.slice(1)]
  const fullEnv = {PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, ...(tty ? {TERM: 'xterm'} : {}), ...env}
  return spawn(file, args, {cwd, env: fullEnv, detached: true, stdio: tty ? ['pipe', 'pipe', 'pipe', 'pipe'] : [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe']})
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  signalGroup(child.pid, signal)
}

/**
 * The ports handed out to pods in this process: the kernel may give a port just closed here to the
 * next bind(0), and two pods must never be told the same PORT (a port is only probed free, the pod
 * binds it later). There are far more ephemeral ports than any test starts pods.
 */
const handedOut = new Set<number>()

/** A port free on 127.0.0.1 now and never handed to another pod (the fake rewrites each pod's PORT to one). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await probeFreePort()
    if (!handedOut.has(port)) {
      handedOut.add(port)
      return port
    }
  }
  throw new Error('the fake kubelet found no port it had not handed out already')
}

function probeFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/** Fetches a slug (a gzipped tarball, capability URL: no auth) and unpacks it into `dir` with tar. */
export async function fetchSlug(url: string, dir: string): Promise<void> {
  const body = await new Promise<Buffer>((resolve, reject) => {
    const getter = url.startsWith('https:') ? httpsGet : httpGet
    const request = getter(url, {agent: false}, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('error', reject)
      response.on('end', () => {
        const code = response.statusCode ?? 0
        if (code < 200 || code > 299) reject(new Error(`GET ${url} answered ${code} ${response.statusMessage ?? ''}`.trim()))
        else resolve(Buffer.concat(chunks))
      })
    })
    request.on('error', (error) => reject(new Error(`GET ${url} failed: ${error.message}`)))
  })
  await new Promise<void>((resolve, reject) => {
    const tar = spawn('tar', ['-xzf', '-', '-C', dir], {stdio: ['pipe', 'ignore', 'pipe']})
    let stderr = ''
    tar.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    tar.on('error', reject)
    tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`the slug from ${url} is not a gzipped tarball: tar -xzf exited ${code}: ${stderr.trim()}`))))
    tar.stdin.on('error', () => {})
    tar.stdin.end(body)
  })
}

/** One readiness probe against 127.0.0.1:port (tcpSocket or httpGet); exec probes are not run. */
export async function probe(spec: Probe, port: number): Promise<boolean> {
  if (spec.httpGet) {
    return new Promise((resolve) => {
      const request = httpRequest({host: '127.0.0.1', port, path: spec.httpGet?.path ?? '/', agent: false, timeout: 1000}, (response) => {
        response.resume()
        const code = response.statusCode ?? 0
        resolve(code >= 200 && code < 400)
      })
      request.on('error', () => resolve(false))
      request.on('timeout', () => request.destroy())
      request.end()
    })
  }
  if (spec.tcpSocket) {
    return new Promise((resolve) => {
      const socket = createConnection({host: '127.0.0.1', port})
      socket.setTimeout(1000, () => socket.destroy())
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
      socket.once('close', () => resolve(false))
    })
  }
  return true
}
