// The rendezvous listener (platform-api.md section 3): TLS 1.2 or 1.3 on a port of its own. A
// client sends its secret and a line end (CRLF or LF); on a match the server answers
// `rendezvous\r\n` in a write (a TLS record) of its own, because Heroku's CLI drops the whole first
// chunk it reads, then the socket is the process's raw stdin and combined output. Under a pty the
// terminal interprets 0x03, 0x1c and 0x04; with pipes, 0x03 is SIGINT and 0x1c SIGQUIT to the
// dyno's group and 0x04 ends its input. When the client asked for the exit status (`run -x`), the
// line `\uFFFF heroku-command-exit-status: N` is written after the output, with the real status.
// Once the process has exited and all its output has been written, a pipe session waits (at most
// EOT_GRACE_MS) for the client's 0x04, which Heroku's CLI sends when its stdin ends, also after
// the output; then the server ends its side and reads on until the client ends its own.
import type {AddressInfo} from 'node:net'
import {createServer, type Server, type TLSSocket} from 'node:tls'

import type {DynoIo} from '../runtime/backend.js'
import {EXIT_MARKER_PREFIX, pumpSession, type AttachHub} from '../attach/hub.js'
import type {RendezvousCert} from './certs.js'

export const DEFAULT_RENDEZVOUS_PORT = 5056
/** Longest secret line accepted, and how long a client may take to send it. */
const MAX_LINE = 1024
const HANDSHAKE_TIMEOUT_MS = 30_000
/** Sessions held at once (an attached one-off each, plus clients still handshaking): a flood of TLS handshakes must not take the process's descriptors. */
export const DEFAULT_RENDEZVOUS_CONNECTIONS = 256
/** The TLS handshake itself (node's default is 120 s). */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000
/** After the output, how long a pipe session waits for the client's 0x04 before ending its side. */
export const EOT_GRACE_MS = 2000
/** After ending its side, how long the server reads on before it closes a client that does not end. */
export const CLOSE_GRACE_MS = 5000
export const HANDSHAKE = 'rendezvous\r\n'

export interface RunningRendezvous {
  host: string
  port: number
  close(): Promise<void>
}

/** Stdin bytes of a pipe session: control bytes become signals and EOF. */
export function writeRawInput(io: DynoIo, data: Buffer, state: {ended: boolean}): boolean {
  if (io.tty) return io.write(data)
  if (state.ended) return true
  let start = 0
  let ok = true
  for (let i = 0; i < data.length; i++) {
    const byte = data[i]
    if (byte !== 0x03 && byte !== 0x1c && byte !== 0x04) continue
    if (i > start) ok = io.write(data.subarray(start, i)) && ok
    start = i + 1
    if (byte === 0x03) io.signal('SIGINT')
    else if (byte === 0x1c) io.signal('SIGQUIT')
    else {
      state.ended = true
      io.endInput()
      return ok
    }
  }
  if (start < data.length) ok = io.write(data.subarray(start)) && ok
  return ok
}

export function startRendezvous(options: {hub: AttachHub; cert: RendezvousCert; host?: string; port?: number; maxConnections?: number}): Promise<RunningRendezvous> {
  const sockets = new Set<TLSSocket>()
  // Not half-open: the protocol ends input with 0x04, so a client that closes its side has gone.
  const server: Server = createServer({key: options.cert.key, cert: options.cert.cert, minVersion: 'TLSv1.2', handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS}, (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    handle(options.hub, socket)
  })
  // A client that fails the TLS handshake is its own problem, not the control plane's.
  server.on('tlsClientError', () => {})
  // Over the cap, node closes a new connection as it accepts it.
  server.maxConnections = options.maxConnections ?? DEFAULT_RENDEZVOUS_CONNECTIONS
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? DEFAULT_RENDEZVOUS_PORT, options.host ?? '127.0.0.1', () => {
      server.off('error', reject)
      const address = server.address() as AddressInfo
      resolve({
        host: options.host ?? '127.0.0.1',
        port: address.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            // Sessions still open end with the control plane (their dynos are being stopped).
            for (const socket of sockets) socket.destroy()
          }),
      })
    })
  })
}

function handle(hub: AttachHub, socket: TLSSocket): void {
  socket.on('error', () => {})
  socket.setNoDelay(true)
  socket.setTimeout(HANDSHAKE_TIMEOUT_MS, () => socket.destroy())
  let line: Buffer = Buffer.alloc(0)
  const onData = (chunk: Buffer): void => {
    line = Buffer.concat([line, chunk])
    const newline = line.indexOf(0x0a)
    if (newline === -1) {
      if (line.length > MAX_LINE) socket.destroy()
      return
    }
    socket.off('data', onData)
    socket.pause()
    socket.setTimeout(0)
    const secret = line.subarray(0, newline).toString('utf8').replace(/\r$/, '')
    const rest = line.subarray(newline + 1)
    const claim = hub.claimSecret(secret)
    if (!claim) {
      socket.destroy()
      return
    }
    socket.write(HANDSHAKE)
    void claim.handle.then((dyno) => {
      if (!dyno?.io) {
        socket.end(`Error: ${claim.dynoName || 'the dyno'} could not start.\r\n`)
        return
      }
      const state = {ended: false}
      let inputOver: () => void = () => {}
      const inputEnded = new Promise<void>((resolve) => (inputOver = resolve))
      const session = pumpSession(hub, claim, dyno, {
        output: (_stream, chunk) => socket.write(chunk),
        onDrain: (listener) => void socket.on('drain', listener),
        finish: (status) => {
          if (claim.exitMarker) socket.write(`${EXIT_MARKER_PREFIX}${status}${claim.tty ? '\r\n' : '\n'}`)
          // Heroku's CLI without a tty writes 0x04 once its stdin ends, also after the output: a
          // write on a socket we have ended fails with EPIPE and crashes it. So wait for that byte
          // (or the client's end), a bounded time, before ending ours. Under a pty it sends none.
          void (claim.tty ? Promise.resolve() : within(inputEnded, EOT_GRACE_MS, socket)).then(() => endGracefully(socket))
        },
      })
      const io = session.io
      const input = (data: Buffer): void => {
        if (!writeRawInput(io, data, state)) socket.pause()
        if (state.ended) inputOver()
      }
      io.onDrain(() => socket.resume())
      socket.on('data', input)
      socket.once('end', () => {
        if (!state.ended && !io.tty) {
          state.ended = true
          io.endInput()
        }
        inputOver()
      })
      if (socket.destroyed) session.clientGone()
      else socket.once('close', () => session.clientGone())
      if (rest.length > 0) input(rest)
      socket.resume()
    })
  }
  socket.on('data', onData)
}

/** Resolves when `promise` does, after `ms`, or when the socket has closed. */
function within(promise: Promise<void>, ms: number, socket: TLSSocket): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    const done = (): void => {
      clearTimeout(timer)
      resolve()
    }
    void promise.then(done)
    socket.once('close', done)
  })
}

/**
 * Ends our side (close_notify and FIN once the output is flushed) and goes on reading what the
 * client still sends, so that it never meets a reset; a client that does not end its side within
 * CLOSE_GRACE_MS is closed.
 */
function endGracefully(socket: TLSSocket): void {
  if (socket.destroyed) return
  socket.end()
  // Input paused for a dyno that has exited would hold the client's end back.
  socket.resume()
  const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS)
  socket.once('close', () => clearTimeout(timer))
}
