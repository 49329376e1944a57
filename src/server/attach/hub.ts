// The attach hub: the dyno manager asks it for a ticket when an attached one-off is created
// (`AttachBroker`), and the two transports (rendezvous over TLS, `tug-attach/1` over the API's own
// port) claim that ticket once, by secret or by dyno. A ticket not claimed within `expiryMs`
// expires: the dyno is stopped and its output goes to the app's log only.
import {randomBytes} from 'node:crypto'

import type {DynoExit, DynoHandle, DynoIo, DynoIoStream} from '../runtime/backend.js'
import type {AttachBroker, AttachTicket} from '../runtime/attached.js'
import {exitStatus} from '../runtime/dyno-slot.js'

export const DEFAULT_EXPIRY_MS = 2 * 60 * 1000
/** After SIGHUP (the client went away), a dyno that is still running is stopped. */
export const HANGUP_GRACE_MS = 5000
/** The exit-status echo `heroku run -x` (and tug's CLI) append to the command. */
export const EXIT_MARKER_SUFFIX = ' ; echo "\uFFFF heroku-command-exit-status: $?"'
export const EXIT_MARKER_PREFIX = '\uFFFF heroku-command-exit-status: '

export interface AttachHubOptions {
  /** Where the rendezvous listener is reached, once it listens. */
  rendezvous: () => {host: string; port: number} | undefined
  /** Stops a one-off for good (the runtime's stop). */
  stopDyno: (appId: string, dynoId: string) => Promise<void>
  /** A platform event in the app's log. */
  event?: (appId: string, dynoName: string, message: string) => void
  expiryMs?: number
  hangupGraceMs?: number
}

/** A claimed session: what a transport reads and writes. */
export interface AttachClaim {
  appId: string
  dynoId: string
  dynoName: string
  tty: boolean
  /** The client asked for the exit status as an output line (rendezvous only). */
  exitMarker: boolean
  /** The dyno's handle once it runs; undefined when it could not start. */
  handle: Promise<DynoHandle | undefined>
}

interface Session {
  secret: string
  appId: string
  dynoId?: string
  dynoName?: string
  tty: boolean
  exitMarker: boolean
  claimed: boolean
  timer: NodeJS.Timeout
  handle: Promise<DynoHandle | undefined>
  settle: (handle: DynoHandle | undefined) => void
}

/** A 256-bit, URL-safe secret. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url')
}

/** Splits the exit-status echo off a command; the session reports the real status itself. */
export function stripExitMarker(command: string): {command: string; exitMarker: boolean} {
  if (command.endsWith(EXIT_MARKER_SUFFIX) && command.length > EXIT_MARKER_SUFFIX.length) {
    return {command: command.slice(0, -EXIT_MARKER_SUFFIX.length), exitMarker: true}
  }
  return {command, exitMarker: false}
}

export class AttachHub implements AttachBroker {
  private readonly bySecret = new Map<string, Session>()
  private readonly byDyno = new Map<string, Session>()
  private readonly expiryMs: number
  private closed = false

  constructor(private readonly options: AttachHubOptions) {
    this.expiryMs = options.expiryMs ?? DEFAULT_EXPIRY_MS
  }

  open(input: {appId: string; command: string; tty: boolean}): AttachTicket {
    const secret = newSecret()
    const {command, exitMarker} = stripExitMarker(input.command)
    let settle: (handle: DynoHandle | undefined) => void = () => {}
    const handle = new Promise<DynoHandle | undefined>((resolve) => (settle = resolve))
    const session: Session = {
      secret,
      appId: input.appId,
      tty: input.tty,
      exitMarker,
      claimed: false,
      handle,
      settle,
      timer: setTimeout(() => this.expire(session), this.expiryMs),
    }
    session.timer.unref()
    this.bySecret.set(secret, session)
    const address = this.options.rendezvous()
    const host = address ? (address.host.includes(':') ? `[${address.host}]` : address.host) : '127.0.0.1'
    return {
      attachUrl: `rendezvous://${host}:${address?.port ?? 5000}/${secret}`,
      command,
      tty: input.tty,
      assign: (dynoId, dynoName) => {
        session.dynoId = dynoId
        session.dynoName = dynoName
        this.byDyno.set(dynoId, session)
      },
      bind: (h) => session.settle(h),
      fail: () => session.settle(undefined),
    }
  }

  /** The session of a rendezvous secret, once: a second claim gets undefined. */
  claimSecret(secret: string): AttachClaim | undefined {
    const session = this.bySecret.get(secret)
    return session ? this.claim(session) : undefined
  }

  /** The session of a dyno (the API's upgrade path, already authorized for the app), once. */
  claimDyno(appId: string, dynoId: string): AttachClaim | undefined {
    const session = this.byDyno.get(dynoId)
    return session && session.appId === appId ? this.claim(session) : undefined
  }

  /** Whether a dyno has a session nobody has claimed yet. */
  pending(dynoId: string): boolean {
    return this.byDyno.has(dynoId)
  }

  close(): void {
    this.closed = true
    for (const session of this.bySecret.values()) clearTimeout(session.timer)
    this.bySecret.clear()
    this.byDyno.clear()
  }

  private claim(session: Session): AttachClaim | undefined {
    if (session.claimed || session.dynoId === undefined || this.closed) return undefined
    session.claimed = true
    clearTimeout(session.timer)
    this.forget(session)
    return {
      appId: session.appId,
      dynoId: session.dynoId,
      dynoName: session.dynoName ?? '',
      tty: session.tty,
      exitMarker: session.exitMarker,
      handle: session.handle,
    }
  }

  private forget(session: Session): void {
    this.bySecret.delete(session.secret)
    if (session.dynoId !== undefined) this.byDyno.delete(session.dynoId)
  }

  private expire(session: Session): void {
    if (session.claimed) return
    this.forget(session)
    const {appId, dynoId, dynoName} = session
    if (dynoId === undefined) return
    this.options.event?.(appId, dynoName ?? '', `Stopping process: nobody attached within ${Math.round(this.expiryMs / 1000)} seconds`)
    // Its output was held back for the client that never came: let it flow to the log.
    void session.handle.then((handle) => handle?.io?.resume())
    this.options.stopDyno(appId, dynoId).catch(() => {})
  }

  get hangupGraceMs(): number {
    return this.options.hangupGraceMs ?? HANGUP_GRACE_MS
  }

  stopDyno(appId: string, dynoId: string): Promise<void> {
    return this.options.stopDyno(appId, dynoId)
  }
}

/** Where a session's output goes: one transport (rendezvous or tug-attach/1). */
export interface SessionSink {
  /** False: wait for `onDrain` before more. */
  output(stream: DynoIoStream, chunk: Buffer): boolean
  onDrain(listener: () => void): void
  /** The process is over and its output was handed to `output`: report the status, then close gracefully. */
  finish(status: number): void
}

export interface RunningSession {
  io: DynoIo
  /** The client went away before the end: SIGHUP to the dyno, its output to the log only. */
  clientGone(): void
  /** Settles when the process is over and `finish` was called (or the client went away). */
  done: Promise<void>
}

/**
 * Connects a claimed dyno's output to a sink, with backpressure: a sink that cannot take more
 * pauses the process's output until it drains. Input is for the transport to write to `io`.
 */
export function pumpSession(hub: AttachHub, claim: AttachClaim, handle: DynoHandle, sink: SessionSink): RunningSession {
  const io = handle.io as DynoIo
  let gone = false
  let finished = false
  let hangupTimer: NodeJS.Timeout | undefined
  io.onData((stream, chunk) => {
    if (gone) return
    if (!sink.output(stream, chunk)) io.pause()
  })
  sink.onDrain(() => {
    if (!gone) io.resume()
  })
  const ended = new Promise<void>((resolve) => io.onEnd(resolve))
  const done = Promise.all([ended, handle.exited]).then(([, exit]: [void, DynoExit]) => {
    clearTimeout(hangupTimer)
    finished = true
    if (!gone) sink.finish(exitStatus(exit))
  })
  io.resume()
  return {
    io,
    done,
    clientGone() {
      if (gone || finished) return
      gone = true
      io.resume()
      io.signal('SIGHUP')
      hangupTimer = setTimeout(() => void hub.stopDyno(claim.appId, claim.dynoId).catch(() => {}), hub.hangupGraceMs)
      hangupTimer.unref()
    },
  }
}
