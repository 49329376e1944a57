import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'
import {createServer, type Server, type TLSSocket} from 'node:tls'
import type {AddressInfo} from 'node:net'

import {attach, ExitMarkerScanner, parseAttachUrl, withExitMarker} from '../../../src/lib/run/attach.js'
import {NetworkError, RuntimeError} from '../../../src/lib/errors.js'
import {Collector} from '../../helpers/capture.js'
import {hasOpenssl, makeTestCert, type TestCert} from '../../helpers/tls.js'

describe('attach: exit marker', () => {
  it('appends the marker after a space and a semicolon', () => {
    assert.equal(withExitMarker('rake db:migrate'), 'rake db:migrate ; echo "\uFFFF heroku-command-exit-status: $?"')
  })

  it('strips the marker line and records the status, across chunk boundaries of every size', () => {
    const stream = Buffer.from('hello\r\nworld\r\n\uFFFF heroku-command-exit-status: 42\r\n', 'utf8')
    for (let size = 1; size <= stream.length; size++) {
      const scanner = new ExitMarkerScanner()
      const out: Buffer[] = []
      for (let i = 0; i < stream.length; i += size) out.push(scanner.push(stream.subarray(i, i + size)))
      out.push(scanner.end())
      assert.equal(Buffer.concat(out).toString('utf8'), 'hello\r\nworld\r\n', `chunk size ${size}`)
      assert.equal(scanner.status, 42, `chunk size ${size}`)
    }
  })

  it('passes other U+FFFF text through and accepts a final marker without a newline', () => {
    const scanner = new ExitMarkerScanner()
    const out = Buffer.concat([scanner.push(Buffer.from('a\uFFFFb\nc\uFFFF heroku-command-exit-status: 3')), scanner.end()])
    assert.equal(out.toString('utf8'), 'a\uFFFFb\nc')
    assert.equal(scanner.status, 3)
  })

  it('parses rendezvous URLs and rejects others', () => {
    assert.deepEqual(parseAttachUrl('rendezvous://rv.example.com:5001/abc123?x=1'), {host: 'rv.example.com', port: 5001, secret: 'abc123?x=1'})
    assert.deepEqual(parseAttachUrl('rendezvous://127.0.0.1/s3cret'), {host: '127.0.0.1', port: 5000, secret: 's3cret'})
    assert.throws(() => parseAttachUrl('https://rv.example.com/x'), RuntimeError)
    assert.throws(() => parseAttachUrl('rendezvous://rv.example.com:5000/'), RuntimeError)
  })
})

describe('attach: against a local TLS rendezvous server', function () {
  let tls: TestCert | undefined
  let dir: string
  let key: Buffer
  let cert: Buffer
  let caFile: string
  let server: Server | undefined
  let received: string
  let sockets: TLSSocket[]

  before(function () {
    if (!hasOpenssl()) this.skip() // the certificate is made with the openssl command; without it these tests cannot run
    tls = makeTestCert()
    ;({dir, key, cert, certFile: caFile} = tls)
  })

  after(() => tls?.remove())

  afterEach(async () => {
    for (const s of sockets ?? []) s.destroy()
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()))
    server = undefined
  })

  /** A rendezvous server that expects `secret`, then runs `session` on the socket. */
  async function listen(secret: string, session: (socket: TLSSocket) => void): Promise<number> {
    received = ''
    sockets = []
    server = createServer({key, cert}, (socket) => {
      sockets.push(socket)
      let line = ''
      let started = false
      socket.on('data', (chunk: Buffer) => {
        if (started) {
          received += chunk.toString('latin1')
          return
        }
        line += chunk.toString('utf8')
        const nl = line.indexOf('\n')
        if (nl === -1) return
        const sent = line.slice(0, nl).replace(/\r$/, '')
        if (sent !== secret) {
          socket.end()
          return
        }
        started = true
        received += line.slice(nl + 1)
        socket.write('rendezvous\r\n', () => session(socket))
      })
    })
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    return (server!.address() as AddressInfo).port
  }

  function io(stdin: PassThrough) {
    return {stdin, stdout: new Collector(), stderr: new Collector(), tty: false}
  }

  it('sends the secret, drops the handshake line, relays output and returns the exit status', async () => {
    const port = await listen('s3cret', (socket) => {
      socket.write('line one\r\n')
      setImmediate(() => socket.end('line two\r\n\uFFFF heroku-command-exit-status: 7\r\n'))
    })
    const stdin = new PassThrough()
    const streams = io(stdin)
    const status = await attach(`rendezvous://localhost:${port}/s3cret`, streams, {caFile})
    assert.equal(status, 7)
    assert.equal(streams.stdout.text, 'line one\r\nline two\r\n')
  })

  it('forwards stdin and sends EOT (0x04) at its end', async () => {
    const port = await listen('abc', (socket) => {
      socket.on('data', () => {
        if (received.endsWith('\u0004')) socket.end('\uFFFF heroku-command-exit-status: 0\n')
      })
    })
    const stdin = new PassThrough()
    const streams = io(stdin)
    const pending = attach(`rendezvous://127.0.0.1:${port}/abc`, streams, {caFile})
    stdin.write('input data\n')
    stdin.end()
    assert.equal(await pending, 0)
    assert.equal(received, 'input data\n\u0004')
    assert.equal(streams.stdout.text, '')
  })

  it('fails clearly when the connection closes without an exit status', async () => {
    const port = await listen('abc', (socket) => socket.end('partial output'))
    const streams = io(new PassThrough())
    await assert.rejects(attach(`rendezvous://localhost:${port}/abc`, streams, {caFile}), (error: unknown) => {
      assert.ok(error instanceof RuntimeError)
      assert.match(error.message, /closed before the command reported its exit status/)
      return true
    })
    assert.equal(streams.stdout.text, 'partial output')
  })

  it('fails clearly on a wrong secret', async () => {
    const port = await listen('right', () => undefined)
    await assert.rejects(attach(`rendezvous://localhost:${port}/wrong`, io(new PassThrough()), {caFile}), /before the session started/)
  })

  it('refuses an untrusted certificate, with a hint about NODE_EXTRA_CA_CERTS', async () => {
    const port = await listen('abc', () => undefined)
    await assert.rejects(attach(`rendezvous://localhost:${port}/abc`, io(new PassThrough()), {env: {}}), (error: unknown) => {
      assert.ok(error instanceof NetworkError)
      assert.match(error.message, /not trusted/)
      assert.match(error.hint ?? '', /NODE_EXTRA_CA_CERTS/)
      return true
    })
  })

  it('trusts a CA file named by NODE_EXTRA_CA_CERTS alongside the CA file option', async () => {
    const port = await listen('abc', (socket) => socket.end('\uFFFF heroku-command-exit-status: 0\n'))
    const other = join(dir, 'other.pem')
    writeFileSync(other, '')
    const status = await attach(`rendezvous://localhost:${port}/abc`, io(new PassThrough()), {caFile: other, env: {NODE_EXTRA_CA_CERTS: caFile}})
    assert.equal(status, 0)
  })
})
