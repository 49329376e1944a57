// Attach over the API's own port and scheme: `GET /apps/{app}/dynos/{dyno}/attach` with
// `Connection: Upgrade`, `Upgrade: tug-attach/1` and the API's credentials, answered `101`, then
// the frames of frames.ts both ways.
//
// Why a plain HTTP Upgrade and not WebSocket: the session is a byte pipe whose whole point is
// flow control end to end (a slow terminal must slow the dyno down, not fill memory), and on the
// raw upgraded socket both sides keep TCP's backpressure; WebSocket clients (undici's included)
// deliver messages as fast as they arrive, with no way to stop reading. Through a forward proxy
// the CLI tunnels with CONNECT, which carries any protocol; reverse proxies that pass `Upgrade`
// (nginx's usual `proxy_set_header Upgrade $http_upgrade`) carry this one as well. The framing
// (5-byte headers) is small enough that a WebSocket library would be the larger part.
import type {IncomingMessage} from 'node:http'
import type {Duplex} from 'node:stream'

import type {Store} from '../store/index.js'
import {pumpSession, type AttachHub} from '../attach/hub.js'
import {decide} from '../domain/access.js'
import {accessTarget} from './access.js'
import {actorOf, authenticateToken} from './auth.js'
import {encodeFrame, FrameDecoder, FrameType, parseResize} from '../../shared/attach-frames.js'

export const ATTACH_PROTOCOL = 'tug-attach/1'
const PATH = /^\/apps\/([^/]+)\/dynos\/([^/]+)\/attach\/?$/
/** Signals a client may send to its dyno's process group. */
const SIGNALS = new Set<NodeJS.Signals>(['SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGTSTP', 'SIGCONT', 'SIGWINCH'])

/** The path of a dyno's attach endpoint, relative to the API's base URL. */
export function attachPath(appName: string, dynoName: string): string {
  return `/apps/${encodeURIComponent(appName)}/dynos/${encodeURIComponent(dynoName)}/attach`
}

function refuse(socket: Duplex, status: number, reason: string, id: string, message: string): void {
  const body = JSON.stringify({id, message})
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}

/** The `upgrade` listener of the API's HTTP server. */
export function attachUpgradeHandler(deps: {store: Store; hub: AttachHub; sockets?: Set<Duplex>}): (request: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (request, socket, head) => {
    socket.on('error', () => {})
    // The HTTP server's close waits for upgraded sockets too: the owner ends them first.
    deps.sockets?.add(socket)
    socket.once('close', () => deps.sockets?.delete(socket))
    const path = (request.url ?? '').split('?')[0] ?? ''
    const match = PATH.exec(path)
    const protocols = (request.headers.upgrade ?? '').toLowerCase().split(',').map((p) => p.trim())
    if (!match || !protocols.includes(ATTACH_PROTOCOL)) {
      refuse(socket, 404, 'Not Found', 'not_found', 'The requested API endpoint was not found.')
      return
    }
    const found = authenticateToken(deps.store, request.headers.authorization)
    if (!found) {
      refuse(socket, 401, 'Unauthorized', 'unauthorized', 'Invalid credentials provided.')
      return
    }
    const app = deps.store.apps.resolve(decodeURIComponent(match[1] ?? ''))
    const actor = actorOf(found.account, found.token)
    // Attaching drives a dyno: the same need as starting one (POST /apps/{app}/dynos).
    const decision = app ? decide(actor, accessTarget(deps.store, app, actor), 'write', deps.store.clock()) : undefined
    if (!app || (decision && !decision.allowed && decision.status === 404)) {
      refuse(socket, 404, 'Not Found', 'not_found', "Couldn't find that app.")
      return
    }
    if (decision && !decision.allowed) {
      refuse(socket, decision.status, decision.status === 401 ? 'Unauthorized' : 'Forbidden', decision.status === 401 ? 'unauthorized' : 'forbidden', decision.message)
      return
    }
    const dyno = deps.store.dynos.resolve(app.id, decodeURIComponent(match[2] ?? ''))
    if (!dyno) {
      refuse(socket, 404, 'Not Found', 'not_found', "Couldn't find that dyno.")
      return
    }
    const claim = deps.hub.claimDyno(app.id, dyno.id)
    if (!claim) {
      refuse(socket, 409, 'Conflict', 'conflict', `${dyno.name} has no session to attach to: it was not started attached, someone attached already, or the session expired.`)
      return
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${ATTACH_PROTOCOL}\r\n\r\n`)
    const setNoDelay = (socket as Duplex & {setNoDelay?: (on: boolean) => void}).setNoDelay
    setNoDelay?.call(socket, true)
    socket.pause()
    void claim.handle.then((handle) => {
      if (!handle?.io) {
        socket.end(encodeFrame(FrameType.error, `${claim.dynoName} could not start.`))
        return
      }
      const session = pumpSession(deps.hub, claim, handle, {
        output: (stream, chunk) => socket.write(encodeFrame(stream === 'stderr' ? FrameType.stderr : FrameType.stdout, chunk)),
        onDrain: (listener) => void socket.on('drain', listener),
        finish: (status) => socket.end(encodeFrame(FrameType.exit, JSON.stringify({status}))),
      })
      const io = session.io
      const decoder = new FrameDecoder()
      const input = (chunk: Buffer): void => {
        let frames
        try {
          frames = decoder.push(chunk)
        } catch {
          socket.destroy()
          return
        }
        for (const frame of frames) {
          if (frame.type === FrameType.stdin) {
            if (!io.write(frame.payload)) socket.pause()
          } else if (frame.type === FrameType.stdinEnd) {
            io.endInput()
          } else if (frame.type === FrameType.resize) {
            const size = parseResize(frame.payload)
            if (size) io.resize(size.cols, size.rows)
          } else if (frame.type === FrameType.signal) {
            const name = frame.payload.toString('utf8') as NodeJS.Signals
            if (SIGNALS.has(name)) io.signal(name)
          }
        }
      }
      io.onDrain(() => socket.resume())
      socket.on('data', input)
      // Input ends with a stdinEnd frame; a client that closes its side of the socket has gone.
      socket.once('end', () => socket.destroy())
      if (socket.destroyed) session.clientGone()
      else socket.once('close', () => session.clientGone())
      if (head.length > 0) input(head)
      socket.resume()
    })
  }
}
