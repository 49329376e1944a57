// The client side of the rendezvous protocol (platform-api.md section 3): TLS to the host and port
// of `rendezvous://host:port/secret`, send `secret\r\n`, drop the server's first line
// (`rendezvous\r\n`), then raw bytes both ways until the server closes. The remote command's exit
// status comes from the `\uFFFF heroku-command-exit-status: N` line that `withExitMarker` makes
// the shell print last; that line is removed from the output.
import {readFileSync} from 'node:fs'
import {isIP} from 'node:net'
import type {TLSSocket} from 'node:tls'

import {NetworkError, RuntimeError, UsageError} from '../errors.js'
import type {InStream, OutStream} from '../cli/io.js'
import {enterRawMode, flushed, InterruptTracker} from './terminal.js'

export interface AttachIo {
  stdin: InStream
  stdout: OutStream
  stderr: OutStream
  /** Interactive: stdin in raw mode, every byte (Ctrl-C as 0x03) forwarded to the remote pty. */
  tty: boolean
}

export interface AttachOptions {
  /** A PEM file of extra CAs to trust, on top of Node's roots and NODE_EXTRA_CA_CERTS. */
  caFile?: string
  env?: NodeJS.ProcessEnv
  connectTimeoutMs?: number
  /** Called once the session is up (the handshake line arrived). */
  onReady?: () => void
  /** Where SIGINT, SIGTERM and SIGHUP come from; default the process. */
  signals?: NodeJS.EventEmitter
  now?: () => number
  /** Told when the user detached (a second Ctrl-C within a second). */
  onDetach?: (message: string) => void
}

export const EXIT_MARKER = '\uFFFF heroku-command-exit-status: '
const MARKER_START = Buffer.from('\uFFFF', 'utf8') // EF BF BF
const MARKER_LINE = /^\uFFFF heroku-command-exit-status: (\d+)\r?$/
/** A marker line is short; anything longer after U+FFFF is ordinary output. */
const MAX_MARKER_LINE = 128
const EOT = Buffer.from([0x04])
const ETX = Buffer.from([0x03])
/** The status tug exits with when the user detaches (as a shell does for Ctrl-C). */
const DETACHED_STATUS = 130

/** Makes the shell print the exit status last, as Heroku's `run -x` does. */
export function withExitMarker(command: string): string {
  // The space before `;` keeps the first word a bare process type for the server's substitution.
  return `${command} ; echo "${EXIT_MARKER}$?"`
}

export interface RendezvousAddress {
  host: string
  port: number
  secret: string
}

export function parseAttachUrl(attachUrl: string): RendezvousAddress {
  let url: URL
  try {
    url = new URL(attachUrl)
  } catch {
    throw new RuntimeError(`The control plane returned an invalid attach URL: ${attachUrl}`)
  }
  if (url.protocol !== 'rendezvous:') {
    throw new RuntimeError(`Unsupported attach URL scheme ${url.protocol.replace(/:$/, '')}; tug attaches over rendezvous:// only.`)
  }
  const secret = url.pathname.replace(/^\//, '') + url.search
  if (url.hostname === '' || secret === '') throw new RuntimeError(`The control plane returned an incomplete attach URL: ${attachUrl}`)
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  return {host, port: url.port === '' ? 5000 : Number(url.port), secret}
}

/** Finds and removes the exit-status line in a byte stream cut into arbitrary chunks. */
export class ExitMarkerScanner {
  status?: number
  private pending: Buffer = Buffer.alloc(0)

  push(chunk: Buffer): Buffer {
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk
    this.pending = Buffer.alloc(0)
    const out: Buffer[] = []
    while (data.length > 0) {
      const at = data.indexOf(MARKER_START)
      if (at === -1) {
        const keep = partialPrefix(data)
        out.push(data.subarray(0, data.length - keep))
        this.pending = Buffer.from(data.subarray(data.length - keep))
        break
      }
      out.push(data.subarray(0, at))
      const newline = data.indexOf(0x0a, at)
      if (newline === -1) {
        if (data.length - at > MAX_MARKER_LINE) {
          out.push(data.subarray(at, at + MARKER_START.length))
          data = data.subarray(at + MARKER_START.length)
          continue
        }
        this.pending = Buffer.from(data.subarray(at))
        break
      }
      const line = data.subarray(at, newline).toString('utf8')
      const match = MARKER_LINE.exec(line)
      if (match && this.status === undefined) {
        this.status = Number(match[1])
      } else {
        out.push(data.subarray(at, newline + 1))
      }
      data = data.subarray(newline + 1)
    }
    return Buffer.concat(out)
  }

  /** At the end of the stream: a marker line without its newline still counts. */
  end(): Buffer {
    const rest = this.pending
    this.pending = Buffer.alloc(0)
    const match = MARKER_LINE.exec(rest.toString('utf8'))
    if (match && this.status === undefined) {
      this.status = Number(match[1])
      return Buffer.alloc(0)
    }
    return rest
  }
}

function partialPrefix(data: Buffer): number {
  for (let n = Math.min(MARKER_START.length - 1, data.length); n > 0; n--) {
    if (data.subarray(data.length - n).equals(MARKER_START.subarray(0, n))) return n
  }
  return 0
}

const TRUST_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

/**
 * Node's CAs, NODE_EXTRA_CA_CERTS and the CA file, for a TLS connection. node:tls is loaded here,
 * for the connections that use it, rather than by every `tug run` (its load is ~10 ms).
 */
export async function trustedCas(options: Pick<AttachOptions, 'caFile' | 'env'>): Promise<string[] | undefined> {
  if (!options.caFile) return undefined
  const env = options.env ?? process.env
  const cas = [...(await import('node:tls')).rootCertificates]
  // Giving `ca` replaces Node's store, so NODE_EXTRA_CA_CERTS has to be added back by hand.
  if (env.NODE_EXTRA_CA_CERTS) {
    try {
      cas.push(readFileSync(env.NODE_EXTRA_CA_CERTS, 'utf8'))
    } catch {
      // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS; do the same (silently).
    }
  }
  try {
    cas.push(readFileSync(options.caFile, 'utf8'))
  } catch (error) {
    throw new UsageError(`Cannot read the CA file ${options.caFile}: ${(error as Error).message}`)
  }
  return cas
}

export async function attach(attachUrl: string, io: AttachIo, options: AttachOptions = {}): Promise<number> {
  const {host, port, secret} = parseAttachUrl(attachUrl)
  const ca = await trustedCas(options)
  const {connect} = await import('node:tls')
  return new Promise<number>((resolve, reject) => {
    const scanner = new ExitMarkerScanner()
    let connected = false
    let ready = false
    let settled = false
    let handshake: Buffer = Buffer.alloc(0)
    let restoreTerminal = (): void => {}
    let detached = false
    const signals = options.signals ?? process
    const interrupts = new InterruptTracker(options.now)
    const detach = (): void => {
      options.onDetach?.('Detached: the dyno gets SIGHUP.')
      detached = true
      socket.destroy()
    }

    const socket: TLSSocket = connect({host, port, ca, servername: isIP(host) ? undefined : host, minVersion: 'TLSv1.2'})
    socket.setTimeout(options.connectTimeoutMs ?? 30_000)

    const onStdinData = (chunk: Buffer | string): void => {
      if (io.tty && (typeof chunk === 'string' ? chunk.includes('\x03') : chunk.includes(0x03)) && interrupts.hit() === 'detach') {
        detach()
        return
      }
      socket.write(chunk)
    }
    // Without a terminal, Ctrl-C reaches tug as SIGINT: forwarded as 0x03 (section 3.2), which the
    // server turns into SIGINT to the dyno's group.
    const onSigint = (): void => {
      if (interrupts.hit() === 'detach') detach()
      else if (!socket.destroyed) socket.write(ETX)
    }
    const onHangup = (): void => detach()
    const onStdinEnd = (): void => {
      if (!socket.destroyed) socket.write(EOT)
    }
    const stopStdin = (): void => {
      io.stdin.removeListener('data', onStdinData)
      io.stdin.removeListener('end', onStdinEnd)
      io.stdin.pause()
      signals.removeListener('SIGINT', onSigint)
      signals.removeListener('SIGTERM', onHangup)
      signals.removeListener('SIGHUP', onHangup)
      restoreTerminal()
    }
    const settle = (error: Error | undefined, status?: number): void => {
      if (settled) return
      settled = true
      stopStdin()
      socket.destroy()
      void Promise.all([flushed(io.stdout), flushed(io.stderr)]).then(() => {
        if (detached) resolve(DETACHED_STATUS)
        else if (error) reject(error)
        else resolve(status ?? 0)
      })
    }
    const write = (bytes: Buffer): void => {
      if (bytes.length === 0) return
      if (!io.stdout.write(bytes)) {
        socket.pause()
        io.stdout.once('drain', () => socket.resume())
      }
    }

    socket.once('secureConnect', () => {
      connected = true
      // Idle sessions are fine (a shell waiting for input); only the connect is bounded.
      socket.setTimeout(0)
      socket.write(`${secret}\r\n`)
      if (io.tty && io.stdin.isTTY && io.stdin.setRawMode) {
        restoreTerminal = enterRawMode(io.stdin)
      } else {
        io.stdin.on('end', onStdinEnd)
        signals.on('SIGINT', onSigint)
        if ((io.stdin as InStream & {readableEnded?: boolean}).readableEnded) onStdinEnd()
      }
      signals.on('SIGTERM', onHangup)
      signals.on('SIGHUP', onHangup)
      io.stdin.on('data', onStdinData)
      io.stdin.resume()
    })

    socket.on('data', (chunk: Buffer) => {
      let data = chunk
      if (!ready) {
        handshake = Buffer.concat([handshake, data])
        const newline = handshake.indexOf(0x0a)
        if (newline === -1) return
        ready = true
        options.onReady?.()
        data = handshake.subarray(newline + 1)
        handshake = Buffer.alloc(0)
      }
      write(scanner.push(data))
    })

    socket.on('timeout', () => {
      settle(new NetworkError(`Timed out connecting to the dyno at ${host}:${port}.`))
    })

    socket.on('error', (error: Error & {code?: string}) => {
      // Our write raced the server's close (stdin's EOT after the output ended): 'close' decides.
      if (ready && (error.code === 'EPIPE' || error.code === 'ECONNRESET')) return
      if (error.code && TRUST_ERRORS.has(error.code)) {
        settle(
          new NetworkError(`Cannot attach to the dyno: the certificate of ${host}:${port} is not trusted (${error.message}).`, {
            hint: 'Point NODE_EXTRA_CA_CERTS (or TUG_CA_FILE) at the PEM file of the CA that signed it.',
            cause: error,
          }),
        )
        return
      }
      settle(new NetworkError(`Cannot attach to the dyno at ${host}:${port}: ${error.message}`, {cause: error}))
    })

    socket.on('close', () => {
      if (!connected || !ready) {
        settle(new RuntimeError('The rendezvous server closed the connection before the session started (an unknown or expired attach secret?).'))
        return
      }
      write(scanner.end())
      if (scanner.status === undefined) {
        settle(new RuntimeError('The connection to the dyno closed before the command reported its exit status.'))
        return
      }
      settle(undefined, scanner.status)
    })
  })
}
