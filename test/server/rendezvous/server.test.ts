import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {PassThrough, Transform} from 'node:stream'
import {connect, type TLSSocket} from 'node:tls'

import {AttachHub, EXIT_MARKER_SUFFIX} from '../../../src/server/attach/hub.js'
import {ensureRendezvousCert} from '../../../src/server/rendezvous/certs.js'
import {startRendezvous, type RunningRendezvous} from '../../../src/server/rendezvous/server.js'
import {FakeDyno} from '../attach/fake-dyno.js'
import {waitFor} from '../../helpers/wait-for.js'

interface Client {
  socket: TLSSocket
  chunks: Buffer[]
  closed: Promise<void>
}

describe('rendezvous listener (platform-api.md section 3)', function () {
  this.timeout(30_000)
  let dir: string
  let ca: string
  let hub: AttachHub
  let server: RunningRendezvous
  const stopped: string[] = []

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tug-rendezvous-'))
    const cert = ensureRendezvousCert(dir)
    ca = readFileSync(cert.caFile, 'utf8')
    assert.deepEqual(ensureRendezvousCert(dir).cert, cert.cert, 'made once, then kept')
    hub = new AttachHub({rendezvous: () => ({host: '127.0.0.1', port: server.port}), stopDyno: async (_a, d) => void stopped.push(d), hangupGraceMs: 50})
    server = await startRendezvous({hub, cert, host: '127.0.0.1', port: 0})
  })
  after(async () => {
    hub.close()
    await server.close()
    rmSync(dir, {recursive: true, force: true})
  })

  const session = (command: string, tty = false): {secret: string; dyno: FakeDyno} => {
    const ticket = hub.open({appId: 'app', command, tty})
    ticket.assign(`id-${Math.random()}`, 'run.1')
    const dyno = new FakeDyno(tty)
    ticket.bind(dyno)
    return {secret: new URL(ticket.attachUrl).pathname.slice(1), dyno}
  }

  const open = (line: string, options: {servername?: string; maxVersion?: 'TLSv1.2' | 'TLSv1.3'} = {}): Promise<Client> =>
    new Promise((resolve, reject) => {
      const socket = connect({host: '127.0.0.1', port: server.port, ca, servername: options.servername ?? 'localhost', ...(options.maxVersion ? {maxVersion: options.maxVersion} : {})})
      const chunks: Buffer[] = []
      socket.on('data', (chunk: Buffer) => chunks.push(chunk))
      const closed = new Promise<void>((done) => socket.once('close', () => done()))
      socket.once('error', reject)
      socket.once('secureConnect', () => {
        socket.write(line)
        resolve({socket, chunks, closed})
      })
    })

  // This client never ends its input: the server waits EOT_GRACE_MS for it before it closes.
  it('answers the secret with rendezvous\\r\\n as a chunk of its own, relays output, writes the real exit status, closes', async () => {
    const {secret, dyno} = session(`echo hi${EXIT_MARKER_SUFFIX}`)
    const client = await open(`${secret}\r\n`)
    await waitFor(() => client.chunks.length > 0, {what: 'the handshake'})
    dyno.emit('stdout', 'hi\n')
    dyno.emit('stderr', 'warn\n')
    dyno.exit(7)
    await client.closed
    assert.equal(client.chunks[0]?.toString('utf8'), 'rendezvous\r\n')
    assert.equal(Buffer.concat(client.chunks.slice(1)).toString('utf8'), 'hi\nwarn\n\uFFFF heroku-command-exit-status: 7\n')
  })

  it('accepts LF alone and TLS 1.2; with pipes 0x03 is SIGINT, 0x1c SIGQUIT, 0x04 the end of input', async () => {
    const {secret, dyno} = session('cat')
    const client = await open(`${secret}\n`, {maxVersion: 'TLSv1.2'})
    assert.equal(client.socket.getProtocol(), 'TLSv1.2')
    client.socket.write(Buffer.from('ab\x03cd\x1cef\x04ignored'))
    await waitFor(() => dyno.inputEnded, {what: 'the end of input'})
    assert.equal(dyno.inputText, 'abcdef')
    assert.deepEqual(dyno.signals, ['SIGINT', 'SIGQUIT'])
    dyno.exit(0)
    await client.closed
    assert.equal(Buffer.concat(client.chunks).toString('utf8'), 'rendezvous\r\n', 'no marker unless the client asked for it')
  })

  it('under a pty passes control bytes through to the terminal', async () => {
    const {secret, dyno} = session('bash', true)
    const client = await open(`${secret}\r\n`)
    client.socket.write(Buffer.from('x\x03\x04'))
    await waitFor(() => dyno.inputText === 'x\x03\x04', {what: 'raw input'})
    assert.deepEqual(dyno.signals, [])
    assert.equal(dyno.inputEnded, false)
    dyno.exit(0)
    await client.closed
  })

  it('closes at once on an unknown secret, and a secret works only once', async () => {
    const unknown = await open('nope\r\n')
    await unknown.closed
    assert.equal(unknown.chunks.length, 0)
    const {secret, dyno} = session('true')
    const first = await open(`${secret}\r\n`)
    await waitFor(() => first.chunks.length > 0, {what: 'the first handshake'})
    const second = await open(`${secret}\r\n`)
    await second.closed
    assert.equal(second.chunks.length, 0)
    first.socket.write('\x04')
    dyno.exit(0)
    await first.closed
  })

  // Heroku's CLI (packages/cli/src/lib/run/dyno.ts) with --no-tty: on the first chunk it starts
  // piping its stdin through a Transform whose flush writes 0x04; that write failing (EPIPE on a
  // socket the server has ended or closed) is an unhandled error that crashes it. Its stdin here
  // ends a moment after the output has come, so the 0x04 goes out after the output, as in the
  // runs that failed; the result waits for both the socket's close and that last write.
  const herokuNoTty = (secret: string, outputEnd: string): Promise<{output: string; error?: Error}> =>
    new Promise((resolve) => {
      const socket = connect({host: '127.0.0.1', port: server.port, ca, servername: 'localhost'})
      const stdin = new PassThrough()
      let first = true
      let output = ''
      let error: Error | undefined
      let eotWritten: Promise<void> = Promise.resolve()
      socket.setEncoding('utf8')
      socket.on('connect', () => socket.write(`${secret}\r\n`))
      socket.on('data', (data: string) => {
        if (first) {
          first = false
          eotWritten = new Promise((written) => {
            const eot = new Transform({
              transform: (chunk, _encoding, next) => socket.write(chunk, next),
              flush: (done) =>
                socket.write('\x04', (e) => {
                  written()
                  done(e)
                }),
            })
            eot.on('error', (e: Error) => {
              error ??= e
              written()
            })
            stdin.pipe(eot)
          })
          return
        }
        output += data
        if (output.endsWith(outputEnd)) setTimeout(() => stdin.end(), 20)
      })
      socket.on('error', (e: Error) => (error ??= e))
      socket.on('close', () => void eotWritten.then(() => resolve({output, error})))
    })

  it("lets Heroku's CLI write its end-of-input byte after the output: 20 runs, no EPIPE or reset", async () => {
    for (let run = 0; run < 20; run++) {
      const {secret, dyno} = session(`echo hi${EXIT_MARKER_SUFFIX}`)
      dyno.emit('stdout', `hi ${run}\n`)
      dyno.exit(0)
      const marker = '\uFFFF heroku-command-exit-status: 0\n'
      const result = await herokuNoTty(secret, marker)
      assert.equal(result.error, undefined, `run ${run}: ${result.error?.message}`)
      assert.equal(result.output, `hi ${run}\n${marker}`)
      assert.equal(dyno.inputEnded, true, `run ${run}: the 0x04 reached the dyno as the end of its input`)
    }
  })

  it('sends SIGHUP when the client goes away, then stops the dyno', async () => {
    const {secret, dyno} = session('sleep 100')
    const client = await open(`${secret}\r\n`)
    await waitFor(() => client.chunks.length > 0, {what: 'the handshake'})
    client.socket.destroy()
    await waitFor(() => dyno.signals.includes('SIGHUP'), {what: 'SIGHUP'})
    await waitFor(() => stopped.length > 0, {what: 'the stop'})
    dyno.exit(null, 'SIGHUP')
  })
})
