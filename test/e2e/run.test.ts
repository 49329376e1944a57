// `tug run` end to end (issue 6): the real CLI against a real control plane, over tug's own
// attach path (tug-attach/1 on the API port) and over rendezvous (section 3), with pipes and under
// a pseudo-terminal driven through node-pty.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {createServer as createHttpServer, request as httpRequest, type Server} from 'node:http'
import {connect as netConnect, type AddressInfo, type Socket} from 'node:net'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {connect} from 'node:tls'

import {BIN, cleanEnv, collectOutput, ROOT, startControlPlane, type ControlPlane, type RunResult} from '../helpers/control-plane.js'
import {tugOnPty} from '../helpers/pty.js'
import {waitFor, withDeadline} from '../helpers/wait-for.js'

const ACCEPT = 'application/vnd.heroku+json; version=3'
const MARK = '\uFFFF heroku-command-exit-status: '
const APP = 'runner'

/** A client that speaks only section 3: TLS, secret + CRLF, drop the first chunk, raw bytes. */
function rendezvousClient(attachUrl: string, ca: string, input?: Buffer): Promise<{firstChunk: string; output: Buffer; closedEarly: boolean}> {
  const url = new URL(attachUrl)
  return new Promise((resolve, reject) => {
    const socket = connect({host: url.hostname, port: Number(url.port), ca, servername: url.hostname === '127.0.0.1' ? undefined : url.hostname})
    let first: string | undefined
    const rest: Buffer[] = []
    socket.once('secureConnect', () => {
      socket.write(`${url.pathname.slice(1)}${url.search}\r\n`)
      if (input) socket.write(input)
    })
    socket.on('data', (chunk: Buffer) => {
      // Exactly what Heroku's Node CLI does: the whole first data event is the handshake.
      if (first === undefined) first = chunk.toString('utf8')
      else rest.push(chunk)
    })
    socket.on('error', reject)
    socket.on('close', () => resolve({firstChunk: first ?? '', output: Buffer.concat(rest), closedEarly: first === undefined}))
  })
}

describe('e2e: tug run, attached', function () {
  this.timeout(240_000)
  let plane: ControlPlane
  let codeDir: string
  let caFile: string
  const env = (): Record<string, string> => ({TUG_CA_FILE: caFile})

  const api = async (method: string, path: string, body?: unknown): Promise<{status: number; json: Record<string, unknown>}> => {
    const response = await fetch(plane.url + path, {
      method,
      headers: {Accept: ACCEPT, Authorization: `Bearer ${plane.token}`, 'Content-Type': 'application/json'},
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return {status: response.status, json: (await response.json()) as Record<string, unknown>}
  }

  /** The CLI through a shell pipeline (`tug run ... | wc -c`), as a user types it. */
  const pipeline = (script: string, timeoutMs = 200_000): Promise<RunResult> => {
    const child = spawn('bash', ['-c', script], {
      cwd: ROOT,
      env: cleanEnv({HOME: plane.home, TUG_API_URL: plane.url, TUG_API_KEY: plane.token, TUG: `${process.execPath} ${BIN}`, ...env()}),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    return collectOutput(child, script, timeoutMs)
  }

  before(async function () {
    this.timeout(120_000)
    plane = await startControlPlane({env: {TUG_RENDEZVOUS_PORT: '0', TUG_ROUTER_PORT: '0'}})
    const match = /CA file: (\S+)\)/.exec(plane.output())
    assert.ok(match, `tug server prints its rendezvous CA file:\n${plane.output()}`)
    caFile = match[1] as string
    codeDir = mkdtempSync(join(tmpdir(), 'tug-run-code-'))
    writeFileSync(join(codeDir, 'Procfile'), 'worker: sleep 1000\n')
    assert.equal((await plane.run(['apps:create', APP, '--no-remote'])).code, 0)
    const deployed = await plane.run(['deploy', codeDir, '-a', APP], {timeoutMs: 90_000})
    assert.equal(deployed.code, 0, deployed.stderr)
  })

  after(async () => {
    await plane?.close()
    if (codeDir) rmSync(codeDir, {recursive: true, force: true})
  })

  it("exits with the remote command's status: tug run -- 'exit 3' exits 3", async () => {
    const result = await plane.run(['run', '-a', APP, '--', 'exit 3'], {env: env(), timeoutMs: 60_000})
    assert.equal(result.code, 3, result.stderr)
    assert.equal(result.stdout, '')
  })

  it("streams stdin with its end: printf 'a\\nb\\n' | tug run --no-tty -- wc -l prints 2", async () => {
    const result = await plane.run(['run', '-a', APP, '--no-tty', '--', 'wc -l'], {env: env(), input: 'a\nb\n', timeoutMs: 60_000})
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout.trim(), '2')
  })

  it('keeps stdout and stderr apart, and the output reaches the app log as app[run.N]', async () => {
    const result = await plane.run(['run', '-a', APP, '--', 'echo out; echo err >&2; echo "$DYNO"'], {env: env(), timeoutMs: 60_000})
    assert.equal(result.code, 0, result.stderr)
    const dyno = result.stdout.split('\n')[1] ?? ''
    assert.match(dyno, /^run\.\d+$/)
    assert.equal(result.stdout, `out\n${dyno}\n`)
    assert.match(result.stderr, /^err$/m)
    assert.doesNotMatch(result.stderr, /^out$/m)
    const logs = await waitFor(
      async () => {
        const text = (await plane.run(['logs', '-a', APP, '-n', '200'])).stdout
        return text.includes(`app[${dyno}]: err`) ? text : undefined
      },
      {timeoutMs: 30_000, what: 'the run output in the app log'},
    )
    assert.match(logs, new RegExp(`app\\[${dyno.replace('.', '\\.')}\\]: out`))
  })

  it("large output arrives whole: tug run -- 'yes | head -c 50000000' | wc -c prints 50000000", async () => {
    const result = await pipeline(`$TUG run -a ${APP} -- 'yes | head -c 50000000' | wc -c`)
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout.trim(), '50000000')
  })

  it('a slow reader loses nothing (the dyno waits for it)', async () => {
    const result = await pipeline(`$TUG run -a ${APP} -- 'head -c 8000000 /dev/zero | tr "\\\\0" x; echo; echo done' | (sleep 3; wc -c)`)
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout.trim(), String(8_000_000 + 1 + 5))
  })

  it('under a terminal: runs tty, sized from the client, echoes keys, sees a resize, forwards Ctrl-C', async () => {
    const script = 'tty; stty size; read -r line; echo "got:$line"; while read -r again; do stty size; done'
    const term = tugOnPty(['run', '-a', APP, '--', script], {cols: 100, rows: 30, env: {HOME: plane.home, TUG_API_URL: plane.url, TUG_API_KEY: plane.token, ...env()}})
    const screen = (): string => term.output()
    try {
      await waitFor(() => /\/dev\/pts\/\d+/.test(screen()) && /30 100/.test(screen()), {timeoutMs: 60_000, what: () => `tty and its size in:\n${screen()}`})
      term.write('hello\r')
      // The remote terminal echoes the keys (hello, then the newline), then the command answers.
      await waitFor(() => /hello\r*\n[\s\S]*got:hello/.test(screen()), {timeoutMs: 30_000, what: () => `echo and answer in:\n${screen()}`})
      term.resize(120, 40)
      // The CLI learns of the resize by SIGWINCH, asynchronously: ask the dyno for its size until it changed.
      let asked = 0
      await waitFor(
        () => {
          if (/40 120/.test(screen())) return true
          if (Date.now() - asked > 500) {
            asked = Date.now()
            term.write('\r')
          }
          return undefined
        },
        {timeoutMs: 30_000, what: () => `the new size in:\n${screen()}`},
      )
      term.write('\x03')
      const {exitCode} = await withDeadline(term.exited, 60_000, 'the CLI to exit after Ctrl-C')
      assert.equal(exitCode, 130, screen())
    } finally {
      term.kill('SIGKILL')
    }
  })

  it('one secret attaches once; a second rendezvous client is refused, and so is an upgrade', async () => {
    const created = await api('POST', `/apps/${APP}/dynos`, {command: 'echo once', attach: true, force_no_tty: true})
    assert.equal(created.status, 201)
    const attachUrl = created.json.attach_url as string
    assert.match(attachUrl, /^rendezvous:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{43}$/)
    assert.match(created.json.attach_upgrade_url as string, new RegExp(`/apps/${APP}/dynos/${created.json.name as string}/attach$`))
    const ca = readFileSync(caFile, 'utf8')
    const first = await withDeadline(rendezvousClient(attachUrl, ca), 60_000, 'the first client')
    assert.equal(first.firstChunk, 'rendezvous\r\n')
    assert.equal(first.output.toString('utf8'), 'once\n')
    const second = await withDeadline(rendezvousClient(attachUrl, ca), 60_000, 'the second client')
    assert.equal(second.closedEarly, true)
    assert.equal(second.output.length, 0)
    // tug's own attach path, with the API's credentials: a real Upgrade request, refused too.
    const upgraded = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${plane.url}/apps/${APP}/dynos/${created.json.name as string}/attach`, {
        headers: {Authorization: `Bearer ${plane.token}`, Accept: ACCEPT, Connection: 'Upgrade', Upgrade: 'tug-attach/1'},
      })
      request.on('upgrade', (_response, socket) => {
        socket.destroy()
        resolve(101)
      })
      request.on('response', (response) => {
        response.resume()
        resolve(response.statusCode ?? 0)
      })
      request.on('error', reject)
      request.end()
    })
    assert.ok(upgraded >= 400 && upgraded < 500, `the upgrade was refused, not ${upgraded}`)
  })

  it('interop: a client speaking only section 3 attaches, sends stdin and EOT, and reads the exit marker', async () => {
    const command = `read -r x; echo "got:$x"; printf '\\357\\277\\277 kept\\n'; exit 5 ; echo "${MARK}$?"`
    const created = await api('POST', `/apps/${APP}/dynos`, {command, attach: true, force_no_tty: true, env: {TERM: 'xterm', COLUMNS: 80}})
    assert.equal(created.status, 201)
    const ca = readFileSync(caFile, 'utf8')
    const session = await withDeadline(
      rendezvousClient(created.json.attach_url as string, ca, Buffer.concat([Buffer.from('abc\n'), Buffer.from([0x04])])),
      60_000,
      'the section 3 client',
    )
    assert.equal(session.firstChunk, 'rendezvous\r\n')
    const text = session.output.toString('utf8')
    // U+FFFF passes through intact, and the marker carries the real status even after `exit 5`.
    assert.equal(text, `got:abc\n\uFFFF kept\n${MARK}5\n`)
    const match = /\uFFFF heroku-command-exit-status: (\d+)/.exec(text)
    assert.equal(match?.[1], '5')
  })

  it('tug run over rendezvous (TUG_ATTACH=rendezvous) exits with the status too', async () => {
    const result = await plane.run(['run', '-a', APP, '--', 'echo via rendezvous; exit 4'], {env: {...env(), TUG_ATTACH: 'rendezvous'}, timeoutMs: 60_000})
    assert.equal(result.code, 4, result.stderr)
    assert.equal(result.stdout, 'via rendezvous\n')
  })

  it('goes through HTTP_PROXY (a CONNECT tunnel for the attach), and NO_PROXY is honoured', async () => {
    const connects: string[] = []
    const forwarded: string[] = []
    const sockets = new Set<Socket>()
    const proxy: Server = createHttpServer((request, response) => {
      // Plain proxied API requests (absolute URIs), as undici sends them for http:// targets.
      forwarded.push(`${request.method} ${request.url}`)
      const target = new URL(request.url ?? '')
      const upstream = httpRequest({host: target.hostname, port: target.port, method: request.method, path: target.pathname + target.search, headers: request.headers}, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(response)
      })
      request.pipe(upstream)
    })
    proxy.on('connection', (socket: Socket) => {
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
    })
    proxy.on('connect', (request, client: Socket, head: Buffer) => {
      connects.push(request.url ?? '')
      const [host, port] = (request.url ?? '').split(':')
      const upstream = netConnect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        upstream.write(head)
        upstream.pipe(client)
        client.pipe(upstream)
      })
      upstream.on('error', () => client.destroy())
      client.on('error', () => upstream.destroy())
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
    try {
      const result = await plane.run(['run', '-a', APP, '--', 'echo proxied; exit 6'], {env: {...env(), HTTP_PROXY: proxyUrl, NO_PROXY: ''}, timeoutMs: 60_000})
      assert.equal(result.code, 6, result.stderr)
      assert.equal(result.stdout, 'proxied\n')
      const api = new URL(plane.url)
      assert.deepEqual(connects, [`${api.hostname}:${api.port}`], 'one CONNECT tunnel, for the attach')
      assert.ok(forwarded.some((line) => line.startsWith(`POST ${plane.url}/apps/${APP}/dynos`)), forwarded.join('\n'))
      connects.length = 0
      const direct = await plane.run(['run', '-a', APP, '--', 'exit 0'], {env: {...env(), HTTP_PROXY: proxyUrl, NO_PROXY: '127.0.0.1'}, timeoutMs: 60_000})
      assert.equal(direct.code, 0, direct.stderr)
      assert.deepEqual(connects, [], 'NO_PROXY: no tunnel')
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => proxy.close(() => resolve()))
    }
  })

  it('the upgrade path is authenticated and single-use', async () => {
    const created = await api('POST', `/apps/${APP}/dynos`, {command: 'echo up', attach: true, force_no_tty: true})
    const path = `/apps/${APP}/dynos/${created.json.name as string}/attach`
    const upgrade = (token?: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const url = new URL(plane.url)
        const request = httpRequest({host: url.hostname, port: url.port, path, headers: {Connection: 'Upgrade', Upgrade: 'tug-attach/1', ...(token ? {Authorization: `Bearer ${token}`} : {})}})
        request.once('upgrade', (response, socket: Socket, head: Buffer) => {
          const chunks: Buffer[] = [head]
          socket.on('data', (chunk: Buffer) => chunks.push(chunk))
          socket.once('close', () => resolve(`${response.statusCode} ${Buffer.concat(chunks).toString('latin1')}`))
        })
        request.once('response', (response) => {
          response.resume()
          resolve(String(response.statusCode))
        })
        request.once('error', reject)
        request.end()
      })
    assert.equal(await upgrade(), '401')
    assert.equal(await upgrade('wrong-token'), '401')
    const first = await withDeadline(upgrade(plane.token), 60_000, 'the upgraded session')
    // stdout frame "up\n", then the exit frame {"status":0}.
    assert.equal(first, '101 \x11\x00\x00\x00\x03up\n\x13\x00\x00\x00\x0c{"status":0}')
    assert.equal(await upgrade(plane.token), '409')
  })

  it('a second Ctrl-C within a second detaches, and the dyno gets SIGHUP', async () => {
    const script = 'trap "echo interrupted" INT; trap "echo hung up; exit 0" HUP; echo ready; while true; do sleep 0.1; done'
    const child = spawn(process.execPath, [BIN, 'run', '-a', APP, '--', script], {
      cwd: ROOT,
      env: cleanEnv({HOME: plane.home, TUG_API_URL: plane.url, TUG_API_KEY: plane.token, ...env()}),
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    try {
      await waitFor(() => stdout.includes('ready'), {timeoutMs: 60_000, what: `ready in ${stdout} ${stderr}`})
      const dyno = /up, (run\.\d+)/.exec(stderr)?.[1] ?? ''
      assert.match(dyno, /^run\.\d+$/)
      child.kill('SIGINT')
      await waitFor(() => stdout.includes('interrupted'), {timeoutMs: 30_000, what: 'the forwarded SIGINT'})
      // Two within a second detach. Sent every 200 ms until the CLI is gone, so that a slow machine
      // (or Linux merging two pending SIGINTs into one) still gets a pair inside the window.
      await waitFor(() => child.exitCode !== null || void child.kill('SIGINT'), {intervalMs: 200, timeoutMs: 30_000, what: 'the CLI to detach'})
      assert.equal(await withDeadline(exited, 30_000, 'the CLI to detach'), 130)
      assert.match(stderr, /Detached/)
      await waitFor(
        async () => (await plane.run(['logs', '-a', APP, '-n', '300'])).stdout.includes(`app[${dyno}]: hung up`),
        {timeoutMs: 30_000, what: 'the dyno to get SIGHUP'},
      )
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('time_to_live ends a forgotten session', async () => {
    const created = await api('POST', `/apps/${APP}/dynos`, {command: 'sleep 300', attach: true, force_no_tty: true, time_to_live: 2})
    assert.equal(created.status, 201)
    const ca = readFileSync(caFile, 'utf8')
    const session = await withDeadline(rendezvousClient(created.json.attach_url as string, ca), 60_000, 'the session to end by time_to_live')
    assert.equal(session.firstChunk, 'rendezvous\r\n')
  })
})
