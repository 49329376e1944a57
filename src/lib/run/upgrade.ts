// tug's own attach path: `GET <attach_upgrade_url>` with `Upgrade: tug-attach/1` and the API's
// credentials, through a CONNECT tunnel when HTTPS_PROXY/HTTP_PROXY apply, then the frames of
// frames.ts: stdout and stderr apart, the exit status in a frame of its own, resizes and signals.
// Backpressure is end to end: a slow stdout pauses the socket, which pauses the dyno.
import {request as httpRequest, type ClientRequest, type IncomingMessage} from 'node:http'
import type {Socket} from 'node:net'
import type {Duplex} from 'node:stream'

import {NetworkError, RuntimeError} from '../errors.js'
import {trustedCas, type AttachIo} from './attach.js'
import {encodeFrame, FrameDecoder, FrameType, resizePayload} from '../../shared/attach-frames.js'
import {connectTunnel, proxyFor} from './proxy.js'
import {enterRawMode, flushed, InterruptTracker, terminalSize} from './terminal.js'

export const ATTACH_PROTOCOL = 'tug-attach/1'
/** The status tug exits with when the user detaches (as a shell does for Ctrl-C). */
export const DETACHED_STATUS = 130

export interface UpgradeOptions {
  token?: string
  env?: NodeJS.ProcessEnv
  caFile?: string
  userAgent?: string
  connectTimeoutMs?: number
  /** Where SIGINT, SIGTERM and SIGHUP come from; default the process. */
  signals?: NodeJS.EventEmitter
  now?: () => number
  /** Told when the user detached (a second Ctrl-C): the message for stderr. */
  onDetach?: (message: string) => void
}

/** Opens the upgraded connection; resolves with the socket and the bytes that came with the 101. */
export async function openUpgrade(attachUrl: string, options: UpgradeOptions): Promise<{socket: Duplex; head: Buffer}> {
  const url = new URL(attachUrl)
  const env = options.env ?? process.env
  const timeoutMs = options.connectTimeoutMs ?? 30_000
  const https = url.protocol === 'https:'
  // node:https and node:tls only for an https:// attach URL: a plain one need not load them.
  const ca = https ? await trustedCas({caFile: options.caFile, env}) : undefined
  const proxy = proxyFor(url, env)
  let tunnel: Socket | undefined
  if (proxy) tunnel = await connectTunnel(proxy, url, timeoutMs)
  const headers: Record<string, string> = {
    Connection: 'Upgrade',
    Upgrade: ATTACH_PROTOCOL,
    Accept: 'application/vnd.heroku+json; version=3',
    'User-Agent': options.userAgent ?? 'tug',
  }
  if (options.token) headers.Authorization = `Bearer ${options.token}`
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const port = Number(url.port || (https ? 443 : 80))
  const common = {host, port, method: 'GET', path: url.pathname + url.search, headers, agent: false as const, timeout: timeoutMs}
  let request: ClientRequest
  if (https) {
    const [{request: httpsRequest}, {connect: tlsConnect}] = await Promise.all([import('node:https'), import('node:tls')])
    request = httpsRequest({
      ...common,
      ...(ca ? {ca} : {}),
      servername: host,
      ...(tunnel ? {createConnection: () => tlsConnect({socket: tunnel, servername: host, ...(ca ? {ca} : {})})} : {}),
    })
  } else {
    request = httpRequest({...common, ...(tunnel ? {createConnection: () => tunnel} : {})})
  }
  return new Promise((resolve, reject) => {
    request.once('upgrade', (_response: IncomingMessage, socket: Duplex, head: Buffer) => {
      request.setTimeout(0)
      resolve({socket, head})
    })
    request.once('response', (response: IncomingMessage) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => {
        let message = `HTTP ${response.statusCode}`
        try {
          message = (JSON.parse(body) as {message?: string}).message ?? message
        } catch {
          // not JSON: the status says enough
        }
        reject(new RuntimeError(`Cannot attach to the dyno: ${message}`))
      })
    })
    request.once('timeout', () => request.destroy(new Error('timed out')))
    request.once('error', (error) => reject(new NetworkError(`Cannot attach to the dyno at ${url.host}: ${error.message}`, {cause: error})))
    request.end()
  })
}

export async function attachUpgrade(attachUrl: string, io: AttachIo, options: UpgradeOptions = {}): Promise<number> {
  const {socket, head} = await openUpgrade(attachUrl, options)
  return runFramedSession(socket, head, io, options)
}

/** The client side of a session on an upgraded socket. */
export function runFramedSession(socket: Duplex, head: Buffer, io: AttachIo, options: UpgradeOptions = {}): Promise<number> {
  const signals = options.signals ?? process
  const interrupts = new InterruptTracker(options.now)
  const decoder = new FrameDecoder()
  const setNoDelay = (socket as Duplex & {setNoDelay?: (on: boolean) => void}).setNoDelay
  setNoDelay?.call(socket, true)
  return new Promise<number>((resolve, reject) => {
    let status: number | undefined
    let failure: Error | undefined
    let settled = false
    let restoreTerminal = (): void => {}
    const send = (type: number, payload?: Buffer | string): boolean => (socket.destroyed ? true : socket.write(encodeFrame(type, payload)))

    const detach = (): void => {
      options.onDetach?.('Detached: the dyno gets SIGHUP.')
      status = DETACHED_STATUS
      socket.destroy()
    }
    const onStdinData = (chunk: Buffer | string): void => {
      const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      if (io.tty && data.includes(0x03) && interrupts.hit() === 'detach') {
        detach()
        return
      }
      if (!send(FrameType.stdin, data)) {
        io.stdin.pause()
        socket.once('drain', () => io.stdin.resume())
      }
    }
    const onStdinEnd = (): void => void send(FrameType.stdinEnd)
    const onSigint = (): void => {
      if (interrupts.hit() === 'detach') detach()
      else send(FrameType.signal, 'SIGINT')
    }
    const onHangup = (): void => detach()
    const onResize = (): void => {
      const size = terminalSize(io.stdout)
      if (size) send(FrameType.resize, resizePayload(size.cols, size.rows))
    }
    const cleanup = (): void => {
      io.stdin.removeListener('data', onStdinData)
      io.stdin.removeListener('end', onStdinEnd)
      io.stdin.pause()
      signals.removeListener('SIGINT', onSigint)
      signals.removeListener('SIGTERM', onHangup)
      signals.removeListener('SIGHUP', onHangup)
      io.stdout.removeListener('resize', onResize)
      restoreTerminal()
    }
    const settle = (): void => {
      if (settled) return
      settled = true
      cleanup()
      void Promise.all([flushed(io.stdout), flushed(io.stderr)]).then(() => {
        if (status !== undefined) resolve(status)
        else reject(failure ?? new RuntimeError('The connection to the dyno closed before the command reported its exit status.'))
      })
    }
    const write = (stream: NodeJS.WritableStream, data: Buffer): void => {
      if (!stream.write(data)) {
        socket.pause()
        stream.once('drain', () => socket.resume())
      }
    }
    const onData = (chunk: Buffer): void => {
      let frames
      try {
        frames = decoder.push(chunk)
      } catch (error) {
        failure = new RuntimeError(`The attach session sent a bad frame: ${(error as Error).message}`)
        socket.destroy()
        return
      }
      for (const frame of frames) {
        if (frame.type === FrameType.stdout) write(io.stdout, frame.payload)
        else if (frame.type === FrameType.stderr) write(io.stderr, frame.payload)
        else if (frame.type === FrameType.exit) {
          try {
            const parsed = (JSON.parse(frame.payload.toString('utf8')) as {status?: unknown}).status
            if (typeof parsed === 'number' && Number.isInteger(parsed)) status = parsed
          } catch {
            failure = new RuntimeError('The attach session sent a bad exit frame.')
          }
        } else if (frame.type === FrameType.error) {
          failure = new RuntimeError(frame.payload.toString('utf8'))
        }
      }
    }

    socket.on('data', onData)
    socket.on('error', (error: Error) => {
      failure ??= new NetworkError(`The connection to the dyno failed: ${error.message}`, {cause: error})
    })
    socket.once('close', settle)
    if (io.tty) {
      restoreTerminal = enterRawMode(io.stdin)
      io.stdout.on('resize', onResize)
      onResize()
    } else {
      io.stdin.on('end', onStdinEnd)
      signals.on('SIGINT', onSigint)
    }
    signals.on('SIGTERM', onHangup)
    signals.on('SIGHUP', onHangup)
    io.stdin.on('data', onStdinData)
    const stdin = io.stdin as typeof io.stdin & {readableEnded?: boolean}
    if (!io.tty && stdin.readableEnded) onStdinEnd()
    io.stdin.resume()
    if (head.length > 0) onData(head)
  })
}
