// docs/server.md's journey: a control plane behind a reverse proxy, started with --public-url
// (here TUG_PUBLIC_URL), and a CLI that reaches it only through the proxy. Every URL the API hands
// out (source upload, build output, log stream, git_url, attach) must lead back through the proxy.
import assert from 'node:assert/strict'
import {createServer, request, type Server} from 'node:http'
import {connect, type AddressInfo, type Socket} from 'node:net'

import {startControlPlane, type ControlPlane} from '../helpers/control-plane.js'

/** What a TLS proxy does for tug, minus TLS: streams both ways and passes Upgrade. */
function startProxy(seen: string[], target: () => number): Promise<{server: Server; url: string; sockets: Set<Socket>}> {
  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    const upstream = request({host: '127.0.0.1', port: target(), method: req.method, path: req.url, headers: req.headers}, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    seen.push(`UPGRADE ${req.method} ${req.url}`)
    const upstream = connect(target(), '127.0.0.1', () => {
      const headers = Object.entries(req.headers).map(([name, value]) => `${name}: ${String(value)}`)
      upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`)
      upstream.write(head)
      upstream.pipe(socket)
      socket.pipe(upstream)
    })
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    upstream.on('error', () => socket.destroy())
    socket.on('error', () => upstream.destroy())
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sockets}))
  })
}

describe('e2e: tug server behind a proxy, with --public-url (docs/server.md)', function () {
  this.timeout(120_000)
  const seen: string[] = []
  let plane: ControlPlane
  let proxy: Awaited<ReturnType<typeof startProxy>>
  let apiPort = 0

  before(async () => {
    proxy = await startProxy(seen, () => apiPort)
    plane = await startControlPlane({env: {TUG_PUBLIC_URL: proxy.url, TUG_ROUTER_PORT: '0', TUG_RENDEZVOUS_PORT: '0'}})
    apiPort = Number(new URL(plane.url).port)
  })

  after(async () => {
    await plane?.close()
    for (const socket of proxy?.sockets ?? []) socket.destroy()
    await new Promise<void>((resolve) => (proxy ? proxy.server.close(() => resolve()) : resolve()))
  })

  const viaProxy = (args: string[]) => plane.run(args, {env: {TUG_API_URL: proxy.url}})

  // One user's path through docs/server.md, so one test: each step needs the one before it.
  it('walks docs/server.md through the proxy: the public URL in what it hands out, deploy and logs, then tug run attached', async () => {
    // It prints the public URL, and hands out URLs on it.
    assert.match(plane.output(), new RegExp(`^Public URL: +${proxy.url}$`, 'm'))
    const created = await viaProxy(['apps:create', 'proxied', '--no-remote', '--json'])
    assert.equal(created.code, 0, created.stderr)
    assert.equal((JSON.parse(created.stdout) as {git_url: string}).git_url, `${proxy.url}/proxied.git`)

    // It deploys and reads logs with every request through the proxy.
    const deployed = await viaProxy(['deploy', 'examples/demo', '-a', 'proxied'])
    assert.equal(deployed.code, 0, deployed.stderr)
    assert.match(deployed.stdout, /^ {7}Released v2$/m)
    const logs = await viaProxy(['logs', '-a', 'proxied', '-n', '50'])
    assert.equal(logs.code, 0, logs.stderr)
    assert.match(logs.stdout, / tug\[api\]: Deploy /)
    const paths = seen.map((line) => line.replace(/\/[A-Za-z0-9_-]{20,}(?=\/|\?|$)/g, '/<secret>'))
    for (const expected of ['PUT /sources/<secret>/blob', 'GET /build-output/<secret>', 'GET /log-sessions/<secret>?tail=false']) {
      assert.ok(paths.includes(expected), `${expected} did not go through the proxy:\n${paths.join('\n')}`)
    }

    // It attaches tug run through the proxy, with the command's output and exit status.
    const ran = await viaProxy(['run', '-a', 'proxied', '--no-tty', '--', 'echo "hello from $DYNO"; exit 5'])
    assert.equal(ran.code, 5, ran.stderr)
    assert.match(ran.stdout, /^hello from run\.\d+$/m)
    assert.ok(seen.some((line) => /^UPGRADE GET \/apps\/proxied\/dynos\/run\.\d+\/attach$/.test(line)), seen.join('\n'))
  })
})
