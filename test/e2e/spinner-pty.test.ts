// Spinners on a terminal that reports 0 columns (`script` without a real terminal, some CI and
// `docker exec -t` ptys): the real `tug` binary on a real pty sized 0 by 0, against a local API
// server that answers slowly. ora once divided by that width and cleared lines for ever, at 100 %
// CPU, deaf to SIGTERM and SIGINT.
import assert from 'node:assert/strict'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {BIN, cleanEnv, ensureBuilt} from '../helpers/control-plane.js'
import {formation} from '../helpers/fixtures.js'
import {spawnPty, type Pty} from '../helpers/pty.js'
import {waitFor, withDeadline} from '../helpers/wait-for.js'

/** A spinner command's whole output is a few hundred bytes a second; the bug wrote megabytes. */
const OUTPUT_BOUND = 64 * 1024

describe('e2e: spinners on a pty of 0 by 0', function () {
  this.timeout(120_000)
  let server: Server | undefined
  let home: string
  const running: Pty[] = []
  /** How each PATCH of the formation is answered: after a delay, or never. */
  let answer: (res: ServerResponse) => void = () => undefined

  before(async () => {
    ensureBuilt()
    home = mkdtempSync(join(tmpdir(), 'tug-e2e-spinner-'))
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume()
      if (req.method === 'PATCH' && req.url === '/apps/shop/formation') answer(res)
      else res.writeHead(404, {'Content-Type': 'application/json'}).end('{"id":"not_found","message":"no"}')
    })
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  })

  afterEach(async () => {
    for (const run of running.splice(0)) {
      run.kill('SIGKILL')
      await withDeadline(run.exited, 10_000, 'the tug process to go').catch(() => undefined)
    }
  })

  after(async () => {
    server?.closeAllConnections()
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    rmSync(home, {recursive: true, force: true})
  })

  /** `tug ps:scale web=1` on a pty whose size `stty` sets to 0 by 0 (node-pty alone reports 80 by 24). */
  function scaleOnZeroPty(): Pty {
    const url = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`
    // Not in CI (no spinner there); NO_COLOR from cleanEnv keeps the frames plain.
    const env = cleanEnv({HOME: home, TUG_API_URL: url, TUG_API_KEY: 'key', CI: undefined, GITHUB_ACTIONS: undefined})
    const run = spawnPty('/bin/sh', ['-c', 'stty cols 0 rows 0 && exec "$0" "$@"', process.execPath, BIN, 'ps:scale', 'web=1', '-a', 'shop'], {cols: 0, rows: 0, env})
    running.push(run)
    return run
  }

  it('animates, finishes promptly with bounded output, and prints the result', async () => {
    answer = (res) => {
      // Long enough for many frames of the spinner.
      setTimeout(() => res.writeHead(200, {'Content-Type': 'application/json'}).end(JSON.stringify([formation('web', 1)])), 1500)
    }
    const run = scaleOnZeroPty()
    const exit = await withDeadline(run.exited, 30_000, 'ps:scale to finish on a 0-column pty')
    assert.equal(exit.exitCode, 0, run.output())
    assert.ok(run.output().length < OUTPUT_BOUND, `${run.output().length} bytes of output`)
    assert.match(run.output(), /Scaling dynos\.\.\. done, now running web at 1:Standard-1X/)
    // It did animate (a frame is the title again), without colour: cleanEnv sets NO_COLOR.
    assert.ok(run.output().split('Scaling dynos...').length > 4, run.output())
    for (const code of [31, 32, 33, 34, 35, 36]) assert.ok(!run.output().includes(`\u001B[${code}m`), `colour ${code} under NO_COLOR`)
  })

  it('ends on SIGTERM while the spinner spins', async () => {
    answer = () => undefined
    const run = scaleOnZeroPty()
    await waitFor(() => run.output().includes('Scaling dynos'), {timeoutMs: 30_000, what: 'the spinner'})
    const before = run.output().length
    run.kill('SIGTERM')
    const exit = await withDeadline(run.exited, 10_000, 'tug to end on SIGTERM')
    assert.ok(exit.exitCode !== 0 || exit.signal === 15, `exit ${JSON.stringify(exit)}`)
    assert.ok(run.output().length < OUTPUT_BOUND, `${run.output().length} bytes of output (${before} before SIGTERM)`)
  })
})
