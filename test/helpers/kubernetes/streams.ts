// exec and attach over WebSocket, as the API server proxies them from the kubelet: subprotocols
// v5.channel.k8s.io down to channel.k8s.io; each binary message starts with its channel byte:
// 0 stdin, 1 stdout, 2 stderr, 3 status (a V1Status JSON), 4 resize ({"Width":..,"Height":..}),
// 255 close (v5: [255, channel] closes that channel; the client sends [255, 0] at stdin's end).
import type {ChildProcess} from 'node:child_process'
import type {IncomingMessage} from 'node:http'
import {STATUS_CODES} from 'node:http'
import type {Socket} from 'node:net'
import {WebSocketServer, type RawData, type WebSocket} from 'ws'
import {killGroup, spawnContainer} from './container-process.js'
import {resizeTerminal} from './pty-runner.js'
import {ApiError, badRequest} from './errors.js'
import type {Kubelet} from './kubelet.js'
import {authorized, firstQuery} from './rest.js'
import type {RecordedRequest} from './types.js'

export const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io']

export interface Resize {
  namespace: string
  pod: string
  width: number
  height: number
}

interface StreamContext {
  kubelet: Kubelet
  requests: RecordedRequest[]
  resizes: Resize[]
  trackStream(end: () => void): () => void
}

const server = new WebSocketServer({
  noServer: true,
  handleProtocols: (protocols) => PROTOCOLS.find((protocol) => protocols.has(protocol)) ?? false,
})

function refuse(socket: Socket, error: unknown): void {
  const apiError = error instanceof ApiError ? error : new ApiError(500, 'InternalError', String((error as Error).stack ?? error))
  const body = JSON.stringify(apiError.toStatus())
  socket.end(`HTTP/1.1 ${apiError.code} ${STATUS_CODES[apiError.code] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
}

function frame(channel: number, payload: Buffer | string): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload
  return Buffer.concat([Buffer.from([channel]), data])
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.from(data)
}

export function handleUpgrade(request: IncomingMessage, socket: Socket, head: Buffer, context: StreamContext): void {
  const url = new URL(request.url ?? '/', 'http://fake')
  context.requests.push({method: request.method ?? 'GET', path: url.pathname, query: firstQuery(url), at: Date.now()})
  socket.on('error', () => {})
  try {
    if (!authorized(request)) throw new ApiError(401, 'Unauthorized', 'Unauthorized: send the bearer token of the fake kubeconfig')
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach)$/.exec(url.pathname)
    if (!match) throw new ApiError(404, 'NotFound', `no WebSocket endpoint at ${url.pathname} (only pods/{name}/exec and pods/{name}/attach)`)
    const [, namespace, pod, verb] = match as unknown as [string, string, string, 'exec' | 'attach']
    const query = url.searchParams
    const options = {
      namespace,
      pod,
      container: query.get('container') ?? undefined,
      stdin: query.get('stdin') === 'true' || query.get('stdin') === '1',
      tty: query.get('tty') === 'true' || query.get('tty') === '1',
      command: query.getAll('command'),
    }
    const start = verb === 'exec' ? prepareExec(options, context) : prepareAttach(options, context)
    server.handleUpgrade(request, socket, head, (ws) => {
      const untrack = context.trackStream(() => ws.terminate())
      ws.on('close', untrack)
      start(ws)
    })
  } catch (error) {
    refuse(socket, error)
  }
}

interface StreamOptions {
  namespace: string
  pod: string
  container?: string
  stdin: boolean
  tty: boolean
  command: string[]
}

/** Channel 4 (resize: recorded, and applied to a TTY's terminal) and 255 messages; channel 0 goes to `stdin`. */
function onClientMessage(ws: WebSocket, options: StreamOptions, context: StreamContext, terminal: () => ChildProcess | undefined, stdin: (data: Buffer | undefined) => void): void {
  ws.on('message', (raw) => {
    const data = toBuffer(raw)
    const channel = data[0]
    const payload = data.subarray(1)
    if (channel === 0) stdin(payload)
    else if (channel === 4) {
      try {
        const size = JSON.parse(payload.toString('utf8')) as {Width?: number; Height?: number}
        context.resizes.push({namespace: options.namespace, pod: options.pod, width: size.Width ?? 0, height: size.Height ?? 0})
        const child = terminal()
        if (child) resizeTerminal(child, size.Width ?? 0, size.Height ?? 0)
      } catch {
        // a malformed resize is ignored, as the kubelet does
      }
    } else if (channel === 255 && payload[0] === 0) stdin(undefined)
  })
}

function sendStatus(ws: WebSocket, status: object): void {
  if (ws.readyState !== ws.OPEN) return
  ws.send(frame(3, JSON.stringify({metadata: {}, ...status})))
  ws.close(1000)
}

function prepareExec(options: StreamOptions, context: StreamContext): (ws: WebSocket) => void {
  if (options.command.length === 0) throw badRequest('you must specify at least 1 command')
  const {cwd, env} = context.kubelet.execContext(options.namespace, options.pod, options.container)
  return (ws) => {
    const child = spawnContainer({argv: options.command, cwd, env, stdin: options.stdin, tty: options.tty})
    let spawnError: Error | undefined
    child.on('error', (error) => (spawnError = error))
    child.stdout?.on('data', (chunk: Buffer) => ws.readyState === ws.OPEN && ws.send(frame(1, chunk)))
    child.stderr?.on('data', (chunk: Buffer) => ws.readyState === ws.OPEN && ws.send(frame(2, chunk)))
    child.stdin?.on('error', () => {})
    onClientMessage(ws, options, context, () => (options.tty ? child : undefined), (data) => {
      if (data === undefined) child.stdin?.end()
      else child.stdin?.write(data)
    })
    child.on('close', (code, signal) => {
      if (spawnError) {
        sendStatus(ws, {status: 'Failure', reason: 'InternalError', message: `exec: ${JSON.stringify(options.command[0])}: ${spawnError.message}`, code: 500})
      } else if (code === 0) sendStatus(ws, {status: 'Success'})
      else {
        const exitCode = code ?? 128 + (signal ? 9 : 0)
        sendStatus(ws, {
          status: 'Failure',
          message: `command terminated with non-zero exit code: error executing command [${options.command.join(' ')}], exit code ${exitCode}`,
          reason: 'NonZeroExitCode',
          details: {causes: [{reason: 'ExitCode', message: String(exitCode)}]},
        })
      }
    })
    ws.on('close', () => killGroup(child, 'SIGKILL'))
  }
}

function prepareAttach(options: StreamOptions, context: StreamContext): (ws: WebSocket) => void {
  const {container} = context.kubelet.resolve(options.namespace, options.pod, options.container)
  if (!container.child) throw badRequest(`container ${container.spec.name} is not running in pod ${options.pod} (state: ${JSON.stringify(container.state)})`)
  if (options.stdin && container.spec.stdin !== true) throw badRequest(`stdin is not enabled for container ${container.spec.name}: set stdin: true in the pod spec to attach to it`)
  const child = container.child
  return (ws) => {
    const output = (channel: 1 | 2, chunk: Buffer): void => {
      if (ws.readyState === ws.OPEN) ws.send(frame(container.spec.tty ? 1 : channel, chunk))
    }
    const exit = (): void => sendStatus(ws, {status: 'Success'})
    container.output.add(output)
    container.exits.add(exit)
    let stdinClosed = false
    const closeStdin = (): void => {
      if (stdinClosed || !options.stdin) return
      stdinClosed = true
      if (container.spec.stdinOnce) child.stdin?.end()
    }
    onClientMessage(ws, options, context, () => (container.spec.tty ? child : undefined), (data) => {
      if (data === undefined) closeStdin()
      else if (options.stdin && !stdinClosed) child.stdin?.write(data)
    })
    ws.on('close', () => {
      container.output.delete(output)
      container.exits.delete(exit)
      closeStdin()
    })
    if (child.exitCode !== null || child.signalCode !== null) exit()
  }
}
