// A syslog receiver on 127.0.0.1 port 0 (TCP, or TLS with a given key and cert) that splits what
// it gets into octet-counted frames, as a drain endpoint would.
import {createServer as createNetServer, type Server, type Socket} from 'node:net'
import type {AddressInfo} from 'node:net'
import {createServer as createTlsServer} from 'node:tls'
import {parseOctetFrames} from '../../src/server/logs/drains/frame.js'

export interface SyslogListener {
  port: number
  url: string
  /** Every message received, in order of arrival. */
  messages: string[]
  connections: number
  /** Drops every open connection (the endpoint restarts). */
  dropConnections(): void
  close(): Promise<void>
}

export async function startSyslogListener(options: {tls?: {key: Buffer; cert: Buffer}; port?: number} = {}): Promise<SyslogListener> {
  const sockets = new Set<Socket>()
  const listener: SyslogListener = {
    port: 0,
    url: '',
    messages: [],
    connections: 0,
    dropConnections() {
      for (const socket of sockets) socket.destroy()
    },
    close: async () => {},
  }
  const onSocket = (socket: Socket): void => {
    listener.connections++
    sockets.add(socket)
    let pending: Buffer = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      const {messages, rest} = parseOctetFrames(Buffer.concat([pending, chunk]))
      pending = Buffer.from(rest)
      listener.messages.push(...messages)
    })
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  }
  const server: Server = options.tls ? createTlsServer({key: options.tls.key, cert: options.tls.cert}, onSocket) : createNetServer(onSocket)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  listener.port = (server.address() as AddressInfo).port
  listener.url = `${options.tls ? 'syslog+tls' : 'syslog'}://127.0.0.1:${listener.port}`
  listener.close = () =>
    new Promise<void>((resolve) => {
      listener.dropConnections()
      server.close(() => resolve())
    })
  return listener
}
