import assert from 'node:assert/strict'
import type {AddressInfo} from 'node:net'
import {createServer, type Server, type TLSSocket} from 'node:tls'
import nock from 'nock'

import Run from '../../../src/commands/run/index.js'
import RunDetached from '../../../src/commands/run/detached.js'
import {API, runCommand, useNock} from '../../helpers/capture.js'
import {dyno} from '../../helpers/fixtures.js'
import {GAP_NOTICE} from '../../../src/lib/logs/display.js'
import {hasOpenssl, makeTestCert, type TestCert} from '../../helpers/tls.js'

const MARK = '\uFFFF heroku-command-exit-status: '

describe('run commands', () => {
  useNock()

  describe('run', () => {
    let cert: TestCert | undefined
    let server: Server | undefined
    let port = 0
    let sessionOutput = ''
    let secretsSeen: string[] = []

    before(async function () {
      if (!hasOpenssl()) this.skip() // the rendezvous test server needs a certificate made by openssl
      cert = makeTestCert()
      server = createServer({key: cert.key, cert: cert.cert}, (socket: TLSSocket) => {
        socket.once('data', (chunk: Buffer) => {
          secretsSeen.push(chunk.toString())
          socket.write('rendezvous\r\n', () => socket.end(sessionOutput))
        })
      })
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
      port = (server.address() as AddressInfo).port
    })
    after(async () => {
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()))
      cert?.remove()
    })
    beforeEach(() => {
      secretsSeen = []
    })

    const env = () => ({TUG_CA_FILE: cert!.certFile, TERM: 'xterm'})
    const attached = () => dyno('run.4821', {attach_url: `rendezvous://localhost:${port}/s3cret`, state: 'starting'})

    it('creates an attached dyno with the exit marker, relays its output and exits 0', async () => {
      sessionOutput = `hi\r\n${MARK}0\r\n`
      nock(API)
        .post('/apps/shop/dynos', {command: `echo hi ; echo "${MARK}$?"`, attach: true, env: {TERM: 'xterm'}, force_no_tty: true})
        .reply(201, attached())
      const result = await runCommand(Run, ['-a', 'shop', '--', 'echo', 'hi'], {env: env()})
      assert.equal(result.stdout, 'hi\r\n')
      assert.equal(result.stderr, 'Running echo hi on shop... up, run.4821\n')
      assert.equal(result.code, 0)
      assert.deepEqual(secretsSeen, ['s3cret\r\n'])
    })

    it("exits with the remote command's status, printing nothing more", async () => {
      sessionOutput = `oops\r\n${MARK}3\r\n`
      nock(API).post('/apps/shop/dynos').reply(201, attached())
      const result = await runCommand(Run, ['-a', 'shop', '-x', 'false'], {env: env()})
      assert.equal(result.stdout, 'oops\r\n')
      assert.equal(result.stderr, 'Running false on shop... up, run.4821\n')
      assert.equal(result.code, 3)
    })

    it('sends --env, --size, --type and --no-tty, and COLUMNS/LINES on a terminal', async () => {
      sessionOutput = `${MARK}0\n`
      nock(API)
        .post('/apps/shop/dynos', {
          command: `rake db:migrate ; echo "${MARK}$?"`,
          attach: true,
          env: {TERM: 'xterm', COLUMNS: 100, LINES: 40, RAILS_ENV: 'test', X: 'a=b'},
          force_no_tty: true,
          size: 'Standard-2X',
          type: 'migrate',
        })
        .reply(201, attached())
      const result = await runCommand(
        Run,
        ['-a', 'shop', '--env', 'RAILS_ENV=test;X=a=b', '--size', 'Standard-2X', '--type', 'migrate', '--no-tty', '--', 'rake', 'db:migrate'],
        {env: env(), tty: {stdout: true}},
      )
      assert.equal(result.code, 0)
    })

    it('says clearly when the server returns no attach URL, exit 1', async () => {
      nock(API).post('/apps/shop/dynos').reply(201, dyno('run.4821', {attach_url: null}))
      const result = await runCommand(Run, ['-a', 'shop', 'bash'], {env: env()})
      assert.equal(result.code, 1)
      assert.equal(result.stderr, [
        'Running bash on shop... up, run.4821',
        'Error: The control plane started run.4821 but returned no attach URL: it does not support attached one-off dynos.',
        'Use `tug run:detached` and `tug logs -a shop -d run.4821` instead.',
        '',
      ].join('\n'))
    })

    it('is a usage error without a command, or with a bad --env, and sends nothing', async () => {
      const none = await runCommand(Run, ['-a', 'shop'], {env: env()})
      assert.equal(none.code, 2)
      assert.equal(none.stderr, 'Error: No command given.\nUsage: tug run -a APP -- COMMAND [ARGS...]\n')
      const bad = await runCommand(Run, ['-a', 'shop', '--env', 'NOEQUALS', 'bash'], {env: env()})
      assert.equal(bad.code, 2)
      assert.match(bad.stderr, /^Error: .*NOEQUALS/)
    })

    it('passes the command\'s own flags through without --, in order', async () => {
      sessionOutput = `${MARK}0\n`
      nock(API).post('/apps/shop/dynos', (body: {command: string}) => body.command === `ls -la --json ; echo "${MARK}$?"`).reply(201, attached())
      const result = await runCommand(Run, ['-a', 'shop', 'ls', '-la', '--json'], {env: env()})
      assert.equal(result.stderr, 'Running ls -la --json on shop... up, run.4821\n')
      assert.equal(result.code, 0)
    })

    it("shows the server's 422", async () => {
      nock(API).post('/apps/shop/dynos').reply(422, {id: 'invalid_params', message: 'No such size as 1X.'})
      const result = await runCommand(Run, ['-a', 'shop', '-s', '1X', 'bash'], {env: env()})
      assert.equal(result.stderr, 'Running bash on shop... !\nError: No such size as 1X.\n')
      assert.equal(result.code, 1)
    })
  })

  describe('run:detached', () => {
    it('creates a detached dyno and says how to see its output', async () => {
      nock(API).post('/apps/shop/dynos', {command: 'rake db:migrate', attach: false, env: {TERM: 'xterm'}}).reply(201, dyno('run.1234', {command: 'rake db:migrate'}))
      const result = await runCommand(RunDetached, ['-a', 'shop', 'rake', 'db:migrate'], {env: {TERM: 'xterm'}})
      assert.equal(result.stderr, 'Running rake db:migrate on shop... done, run.1234\nRun `tug logs -a shop -d run.1234` to view the output.\n')
      assert.equal(result.stdout, '')
      assert.equal(result.code, 0)
    })

    it('prints the dyno as JSON', async () => {
      nock(API).post('/apps/shop/dynos').reply(201, dyno('run.1234'))
      const result = await runCommand(RunDetached, ['-a', 'shop', '--json', '--', 'bash'])
      assert.equal(JSON.parse(result.stdout).name, 'run.1234')
    })

    it("--tail follows the dyno's logs through a session filtered to its name", async () => {
      nock(API).post('/apps/shop/dynos').reply(201, dyno('run.1234'))
      nock(API).post('/apps/shop/log-sessions', {dyno: 'run.1234', tail: true, lines: 100}).reply(201, {
        created_at: '2026-11-27T11:15:29Z', id: 'x', logplex_url: 'http://logs.test/s/1', updated_at: '2026-11-27T11:15:29Z',
      })
      const line = '2026-11-27T11:15:41.123456+00:00 app[run.1234]: migrated'
      nock('http://logs.test').get('/s/1').reply(200, `id: 1\ndata: ${line}\n\n`, {'Content-Type': 'text/event-stream'})
      nock('http://logs.test').get('/s/1').reply(404, '')
      const result = await runCommand(RunDetached, ['-a', 'shop', '--tail', 'bin/backfill'])
      assert.equal(result.stdout, `${line}\n`)
      assert.equal(result.stderr, 'Running bin/backfill on shop... done, run.1234\nError: Log stream timed out. Please try again.\n')
    })

    it('--tail against a Heroku-like plain-text logplex that closes the stream: a new session without history, no line twice', async () => {
      const text = {'Content-Type': 'text/plain; charset=utf-8'}
      const first = '2026-11-27T11:15:41.123456+00:00 app[run.1234]: migrating'
      const second = '2026-11-27T11:15:42.123456+00:00 app[run.1234]: migrated'
      const logSession = (url: string) => ({created_at: '2026-11-27T11:15:29Z', id: 'x', logplex_url: url, updated_at: '2026-11-27T11:15:29Z'})
      nock(API).post('/apps/shop/dynos').reply(201, dyno('run.1234'))
      nock(API).post('/apps/shop/log-sessions', {dyno: 'run.1234', tail: true, lines: 100}).reply(201, logSession('http://logs.test/s/1'))
      // Reconnecting to /s/1 would replay its history, as logplex does.
      nock('http://logs.test').get('/s/1').reply(200, `${first}\n`, text)
      nock(API).post('/apps/shop/log-sessions', {dyno: 'run.1234', tail: true, lines: 0}).reply(201, logSession('http://logs.test/s/2'))
      nock('http://logs.test').get('/s/2').reply(200, `${second}\n`, text)
      nock(API).post('/apps/shop/log-sessions', {dyno: 'run.1234', tail: true, lines: 0}).reply(201, logSession('http://logs.test/s/3'))
      nock('http://logs.test').get('/s/3').reply(404, '')
      const result = await runCommand(RunDetached, ['-a', 'shop', '--tail', 'bin/backfill'])
      assert.equal(result.stdout, `${first}\n${second}\n`)
      assert.equal(result.stderr, `Running bin/backfill on shop... done, run.1234\n${GAP_NOTICE}\nError: Log stream timed out. Please try again.\n`)
    })
  })
})
