// $PORT for dynos. The kernel picks a free port (listen on port 0, then close), and a reserved set
// keeps a port handed to one dyno from going to another before the first has bound it: between
// our probe and the dyno's own listen the port is free, and the kernel may offer it again.

import {connect, createServer} from 'node:net'

export const DEFAULT_PORT_HOST = '127.0.0.1'
/** Collisions with the reserved set are rare; this bound only stops a broken probe from spinning. */
export const DEFAULT_MAX_PORT_ATTEMPTS = 50

/** Asks the kernel for a free TCP port on `host`. */
export function probeFreePort(host: string = DEFAULT_PORT_HOST): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen({host, port: 0, exclusive: true}, () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : undefined
      server.close(() => (port === undefined ? reject(new Error('could not read the probed port')) : resolve(port)))
    })
  })
}

export interface PortAllocatorOptions {
  host?: string
  maxAttempts?: number
  /** Injected in tests to force collisions. */
  probe?: (host: string) => Promise<number>
}

export class PortAllocator {
  readonly host: string
  private readonly maxAttempts: number
  private readonly probe: (host: string) => Promise<number>
  private readonly inUse = new Set<number>()

  constructor(options: PortAllocatorOptions = {}) {
    this.host = options.host ?? DEFAULT_PORT_HOST
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_PORT_ATTEMPTS
    this.probe = options.probe ?? probeFreePort
  }

  /** A port no live dyno holds; reserved until `release(port)`. */
  async allocate(): Promise<number> {
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const port = await this.probe(this.host)
      // Checked and reserved in the same tick, so concurrent allocations cannot both take it.
      if (!this.inUse.has(port)) {
        this.inUse.add(port)
        return port
      }
    }
    throw new Error(`no free port on ${this.host} after ${this.maxAttempts} attempts`)
  }

  /** Marks a port as taken without probing (a dyno adopted after a control-plane restart). */
  reserve(port: number): boolean {
    if (this.inUse.has(port)) return false
    this.inUse.add(port)
    return true
  }

  release(port: number): void {
    this.inUse.delete(port)
  }

  isReserved(port: number): boolean {
    return this.inUse.has(port)
  }

  get reserved(): ReadonlySet<number> {
    return this.inUse
  }
}

/**
 * Whether something accepts TCP connections on `host:port` (how a web dyno is known to be up).
 * Any failure, or no answer within `timeoutMs`, is false.
 */
export function isAccepting(port: number, host: string = DEFAULT_PORT_HOST, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({host, port})
    const done = (result: boolean): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(result)
    }
    const timer = setTimeout(() => done(false), timeoutMs)
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}
