import assert from 'node:assert/strict'
import nock from 'nock'

import Ps from '../../../src/commands/ps/index.js'
import PsRestart from '../../../src/commands/ps/restart.js'
import PsScale from '../../../src/commands/ps/scale.js'
import PsStop from '../../../src/commands/ps/stop.js'
import PsWait from '../../../src/commands/ps/wait.js'
import {interruptedLine} from '../../../src/lib/cli/interrupt.js'
import {stripAnsi} from '../../../src/lib/cli/styled.js'
import {API, runCommand, useNock} from '../../helpers/capture.js'
import {dyno, formation, release} from '../../helpers/fixtures.js'

const NOW = Date.parse('2026-11-27T11:19:16Z')

describe('ps commands', () => {
  useNock()

  describe('ps', () => {
    const dynos = [
      dyno('web.1'),
      dyno('run.4821', {updated_at: '2026-11-27T11:14:16Z'}),
      dyno('web.2', {state: 'crashed'}),
      dyno('worker.1', {command: 'node worker.js'}),
    ]

    it('lists one-off dynos first, then by type, exactly', async () => {
      nock(API).get('/apps/shop/dynos').reply(200, dynos)
      const result = await runCommand(Ps, ['-a', 'shop'], {now: NOW})
      assert.equal(result.stdout, [
        '=== run: one-off processes (1)',
        'run.4821 (Standard-1X): up 2026/11/27 11:14:16 +0000 (~ 5m ago): bash',
        '',
        '=== web (Standard-1X): npm start (2)',
        'web.1: up 2026/11/27 11:19:13 +0000 (~ 3s ago)',
        'web.2: crashed 2026/11/27 11:19:13 +0000 (~ 3s ago)',
        '',
        '=== worker (Standard-1X): node worker.js (1)',
        'worker.1: up 2026/11/27 11:19:13 +0000 (~ 3s ago)',
        '',
      ].join('\n'))
      assert.equal(result.stderr, '')
    })

    it('colours crashed red and up green on a terminal, and never with NO_COLOR', async () => {
      nock(API).get('/apps/shop/dynos').reply(200, [dyno('web.2', {state: 'crashed'})])
      const tty = await runCommand(Ps, ['-a', 'shop'], {now: NOW, tty: {stdout: true}})
      assert.equal(tty.stdout.split('\n')[1], 'web.2: \u001B[31mcrashed\u001B[39m 2026/11/27 11:19:13 +0000 (~ 3s ago)')
      nock(API).get('/apps/shop/dynos').reply(200, [dyno('web.2', {state: 'crashed'})])
      const noColor = await runCommand(Ps, ['-a', 'shop'], {now: NOW, tty: {stdout: true}, env: {NO_COLOR: '1'}})
      assert.equal(noColor.stdout.split('\n')[1], 'web.2: crashed 2026/11/27 11:19:13 +0000 (~ 3s ago)')
    })

    it('filters by process type', async () => {
      nock(API).get('/apps/shop/dynos').reply(200, dynos)
      const result = await runCommand(Ps, ['worker', '-a', 'shop'], {now: NOW})
      assert.equal(result.stdout, '=== worker (Standard-1X): node worker.js (1)\nworker.1: up 2026/11/27 11:19:13 +0000 (~ 3s ago)\n')
    })

    it('says when there are no dynos', async () => {
      nock(API).get('/apps/shop/dynos').reply(200, [])
      const result = await runCommand(Ps, ['-a', 'shop'])
      assert.equal(result.stdout, '')
      assert.equal(result.stderr, 'No dynos on shop.\n')
    })

    it('prints the dynos as JSON', async () => {
      nock(API).get('/apps/shop/dynos').reply(200, [dyno('web.1')])
      const result = await runCommand(Ps, ['-a', 'shop', '--json'])
      assert.deepEqual(JSON.parse(result.stdout), [dyno('web.1')])
    })
  })

  describe('ps:scale', () => {
    it('sends one batch PATCH and prints what is now running', async () => {
      nock(API)
        .patch('/apps/shop/formation', {updates: [{type: 'web', quantity: '2'}, {type: 'worker', quantity: '+1', size: 'standard-2x'}]})
        .reply(200, [formation('worker', 4, 'Standard-2X'), formation('web', 2)])
      const result = await runCommand(PsScale, ['web=2', 'worker+1:standard-2x', '-a', 'shop'])
      assert.equal(result.stderr, 'Scaling dynos... done, now running web at 2:Standard-1X, worker at 4:Standard-2X\n')
      assert.equal(result.stdout, '')
      assert.equal(result.code, 0)
    })

    it('animates an ora spinner on a terminal, and prints plain progress in CI or with --json', async () => {
      const reply = () => nock(API).patch('/apps/shop/formation').reply(200, [formation('web', 2)])
      reply()
      const tty = await runCommand(PsScale, ['web=2', '-a', 'shop'], {tty: {stderr: true}})
      assert.ok(tty.stderr.startsWith('\u001B[?25l'), 'the cursor is hidden while spinning')
      assert.ok(stripAnsi(tty.stderr).endsWith('Scaling dynos... done, now running web at 2:Standard-1X\n'), tty.stderr)
      reply()
      const ci = await runCommand(PsScale, ['web=2', '-a', 'shop'], {tty: {stderr: true}, env: {CI: 'true'}})
      assert.equal(ci.stderr, 'Scaling dynos... done, now running web at 2:Standard-1X\n')
      reply()
      const json = await runCommand(PsScale, ['web=2', '-a', 'shop', '--json'], {tty: {stderr: true}})
      assert.equal(json.stderr, 'Scaling dynos... done, now running web at 2:Standard-1X\n')
      assert.deepEqual(JSON.parse(json.stdout), [formation('web', 2)])
    })

    it('prints the formation with no arguments', async () => {
      nock(API).get('/apps/shop/formation').reply(200, [formation('worker', 4), formation('web', 2)])
      const result = await runCommand(PsScale, ['-a', 'shop'])
      assert.equal(result.stdout, 'web=2:Standard-1X worker=4:Standard-1X\n')
    })

    for (const bad of ['web=abc', '=2', 'web=-1', 'web=2:']) {
      it(`rejects ${bad} as a usage error without sending anything`, async () => {
        const result = await runCommand(PsScale, ['worker=1', bad, '-a', 'shop'])
        assert.equal(result.code, 2)
        assert.match(result.stderr, /^Error: .+\n/)
        assert.ok(result.stderr.includes(bad), `the error names ${bad}: ${result.stderr}`)
        assert.equal(result.stdout, '')
      })
    }

    it('names the nearest process type and lists them all after a 404 for an unknown one', async () => {
      nock(API).patch('/apps/shop/formation').reply(404, {id: 'not_found', message: "Couldn't find that process type (wbe)."})
      nock(API).get('/apps/shop/formation').reply(200, [formation('web', 1), formation('worker', 0), formation('clock', 0)])
      const result = await runCommand(PsScale, ['worker=1', 'wbe=2', '-a', 'shop'])
      assert.equal(result.stderr, 'Scaling dynos... !\nError: No such process type wbe on shop. Did you mean web? Its process types are web, worker, clock.\n')
      assert.equal(result.code, 1)
    })

    it('says when an app has no process types at all', async () => {
      nock(API).patch('/apps/shop/formation').reply(404, {id: 'not_found', message: "Couldn't find that process type (web)."})
      nock(API).get('/apps/shop/formation').reply(200, [])
      const result = await runCommand(PsScale, ['web=1', '-a', 'shop'])
      assert.equal(result.stderr, [
        'Scaling dynos... !',
        'Error: No such process type web on shop. It has no process types yet.',
        'Deploy code with a Procfile with `tug deploy` to add process types.',
        '',
      ].join('\n'))
    })

    it("keeps the server's 404 when the app itself is missing", async () => {
      nock(API).patch('/apps/nosuch/formation').reply(404, {id: 'not_found', message: "Couldn't find that app.", resource: 'app'})
      nock(API).get('/apps/nosuch/formation').reply(404, {id: 'not_found', message: "Couldn't find that app.", resource: 'app'})
      const result = await runCommand(PsScale, ['web=1', '-a', 'nosuch'])
      assert.equal(result.stderr, "Scaling dynos... !\nError: Couldn't find that app.\nCheck the app name with `tug apps`.\n")
      assert.equal(result.code, 1)
    })

    it('shows a 422 limit message', async () => {
      nock(API).patch('/apps/shop/formation').reply(422, {id: 'cannot_run_above_limit', message: 'Cannot run more than 100 dynos.', limit: 100})
      const result = await runCommand(PsScale, ['web=1000', '-a', 'shop'])
      assert.equal(result.stderr, 'Scaling dynos... !\nError: Cannot run more than 100 dynos.\n')
      assert.equal(result.code, 1)
    })
  })

  describe('ps:restart and ps:stop', () => {
    it('restarts all dynos', async () => {
      nock(API).delete('/apps/shop/dynos').reply(202, {})
      const result = await runCommand(PsRestart, ['-a', 'shop'])
      assert.equal(result.stderr, 'Restarting dynos on shop... done\n')
    })

    it('restarts one dyno', async () => {
      nock(API).delete('/apps/shop/dynos/web.1').reply(202, {})
      const result = await runCommand(PsRestart, ['web.1', '-a', 'shop'])
      assert.equal(result.stderr, 'Restarting dyno web.1 on shop... done\n')
    })

    it('restarts a process type through /formations', async () => {
      nock(API).delete('/apps/shop/formations/web').reply(202, {})
      const result = await runCommand(PsRestart, ['web', '-a', 'shop'])
      assert.equal(result.stderr, 'Restarting web dynos on shop... done\n')
    })

    it('stops a dyno and a type', async () => {
      nock(API).post('/apps/shop/dynos/run.4821/actions/stop').reply(202, {})
      const one = await runCommand(PsStop, ['run.4821', '-a', 'shop'])
      assert.equal(one.stderr, 'Stopping dyno run.4821 on shop... done\n')
      nock(API).post('/apps/shop/formations/worker/actions/stop').reply(202, {})
      const type = await runCommand(PsStop, ['worker', '-a', 'shop'])
      assert.equal(type.stderr, 'Stopping worker dynos on shop... done\n')
    })

    it('ps:stop needs a dyno or type (usage error, exit 2)', async () => {
      const result = await runCommand(PsStop, ['-a', 'shop'])
      assert.equal(result.code, 2)
      assert.match(result.stderr, /^Error: Missing 1 required arg/)
    })

    it('names the nearest process type for an unknown type or a dyno of one', async () => {
      const types = [formation('web', 1), formation('worker', 0), formation('clock', 0)]
      nock(API).delete('/apps/shop/formations/wrker').reply(404, {id: 'not_found', message: "Couldn't find that process type (wrker)."})
      nock(API).get('/apps/shop/formation').reply(200, types)
      const type = await runCommand(PsRestart, ['wrker', '-a', 'shop'])
      assert.equal(type.stderr, 'Restarting wrker dynos on shop... !\nError: No such process type wrker on shop. Did you mean worker? Its process types are web, worker, clock.\n')
      assert.equal(type.code, 1)
      nock(API).delete('/apps/shop/dynos/nosuch.1').reply(404, {id: 'not_found', message: "Couldn't find that dyno."})
      nock(API).get('/apps/shop/formation').reply(200, types)
      const dyno = await runCommand(PsRestart, ['nosuch.1', '-a', 'shop'])
      assert.equal(dyno.stderr, 'Restarting dyno nosuch.1 on shop... !\nError: No such process type nosuch on shop. Its process types are web, worker, clock.\n')
      nock(API).post('/apps/shop/formations/wbe/actions/stop').reply(404, {id: 'not_found', message: "Couldn't find that process type (wbe)."})
      nock(API).get('/apps/shop/formation').reply(200, types)
      const stop = await runCommand(PsStop, ['wbe', '-a', 'shop'])
      assert.equal(stop.stderr, 'Stopping wbe dynos on shop... !\nError: No such process type wbe on shop. Did you mean web? Its process types are web, worker, clock.\n')
    })

    it("shows the server's 404 for an unknown dyno", async () => {
      nock(API).delete('/apps/shop/dynos/web.9').reply(404, {id: 'not_found', message: "Couldn't find that dyno."})
      nock(API).get('/apps/shop/formation').reply(200, [formation('web', 2)])
      const result = await runCommand(PsRestart, ['web.9', '-a', 'shop'])
      assert.equal(result.stderr, "Restarting dyno web.9 on shop... !\nError: Couldn't find that dyno.\n")
      assert.equal(result.code, 1)
    })
  })

  describe('ps:wait', () => {
    const latest = () => nock(API, {reqheaders: {range: /^version \.\.; (max=1, order=desc|order=desc, ?max=1)$/}}).get('/apps/shop/releases').reply(200, [release(8)])
    const onV = (version: number, state: 'up' | 'starting' = 'up') => ({release: {id: 'r', version}, state})
    const logsOf = (name: string, lines: string[]) => {
      const url = `http://logs.test/sessions/${name}`
      nock(API).post('/apps/shop/log-sessions', {dyno: name, lines: 200, tail: false}).reply(201, {created_at: '2026-11-27T11:15:29Z', id: 'f1', logplex_url: url, updated_at: '2026-11-27T11:15:29Z'})
      nock('http://logs.test').get(`/sessions/${name}`).reply(200, lines.map((l) => `${l}\n`).join(''), {'Content-Type': 'text/plain'})
    }

    it('polls until every formation dyno is up on the latest release', async () => {
      latest()
      nock(API).get('/apps/shop/dynos').reply(200, [dyno('web.1', onV(7)), dyno('web.2', onV(8))])
      nock(API).get('/apps/shop/dynos').reply(200, [dyno('web.1', onV(8, 'starting')), dyno('web.2', onV(8))])
      nock(API).get('/apps/shop/dynos').reply(200, [dyno('web.1', onV(8)), dyno('web.2', onV(8)), dyno('run.1', onV(7))])
      const result = await runCommand(PsWait, ['-a', 'shop', '--wait-interval', '2'])
      assert.equal(result.stderr, 'Waiting for every dyno on shop to be up on v8... done, 2 up\n')
      assert.equal(result.slept, 4000)
      assert.equal(result.code, 0)
    })

    it('while it waits, ends on SIGINT saying what goes on on the server', async () => {
      latest()
      const seen: Array<string | undefined> = []
      const handlers: number[] = []
      nock(API).get('/apps/shop/dynos').reply(200, () => {
        seen.push(interruptedLine())
        handlers.push(process.listenerCount('SIGINT'))
        return [dyno('web.1', onV(8))]
      })
      const before = process.listenerCount('SIGINT')
      const result = await runCommand(PsWait, ['-a', 'shop'])
      assert.equal(result.code, 0, result.stderr)
      assert.deepEqual(seen, ['Interrupted: the dynos of shop go on coming up on v8 on the server; check them with `tug ps -a shop`.'])
      assert.deepEqual(handlers, [before + 1], 'the base command handles SIGINT while the command runs')
      assert.equal(process.listenerCount('SIGINT'), before, 'and not after')
      assert.equal(interruptedLine(), undefined)
    })

    it('waits only for one type with --type', async () => {
      latest()
      nock(API).get('/apps/shop/dynos').reply(200, [dyno('web.1', onV(8)), dyno('worker.1', onV(7))])
      const result = await runCommand(PsWait, ['-a', 'shop', '--type', 'web'])
      assert.equal(result.stderr, 'Waiting for every web dyno on shop to be up on v8... done, 1 up\n')
      assert.equal(result.slept, 0)
    })

    it('exits 1 with a clear message on timeout', async () => {
      latest()
      nock(API).get('/apps/shop/dynos').times(3).reply(200, [dyno('web.1', onV(7)), dyno('web.2', onV(8))])
      logsOf('web.1', [])
      const result = await runCommand(PsWait, ['-a', 'shop', '--wait-interval', '5', '--timeout', '10'])
      assert.equal(result.code, 1)
      assert.equal(result.stderr, [
        'Waiting for every dyno on shop to be up on v8... !',
        'Error: Timed out after 10s: 1 of 2 dynos are up on v8.',
        '  web.1: up on v7, not yet on v8',
        'Check `tug ps` and `tug logs` for dynos that do not come up.',
        '',
      ].join('\n'))
      assert.equal(result.slept, 10_000)
    })

    it('on timeout, says per dyno its state and why: the platform error, the exit status, its last line', async () => {
      latest()
      nock(API).get('/apps/shop/dynos').times(2).reply(200, [dyno('web.1', {release: {id: 'r', version: 8}, state: 'crashed'}), dyno('worker.1', onV(8, 'starting')), dyno('web.2', onV(8))])
      logsOf('web.1', [
        '2026-11-27T11:15:40.000001+00:00 app[web.1]: booting on a port of my own',
        '2026-11-27T11:15:41.000001+00:00 app[web.10]: another dyno (a prefix filter lets it through)',
        '2026-11-27T11:16:40.000001+00:00 tug[web.1]: Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 60 seconds of launch',
        '2026-11-27T11:16:41.000001+00:00 tug[web.1]: Process exited with status 137',
        '2026-11-27T11:16:41.000002+00:00 tug[web.1]: State changed from starting to crashed',
      ])
      logsOf('worker.1', [])
      const result = await runCommand(PsWait, ['-a', 'shop', '--timeout', '1'])
      assert.equal(result.code, 1)
      assert.equal(result.stderr, [
        'Waiting for every dyno on shop to be up on v8... !',
        'Error: Timed out after 1s: 1 of 3 dynos are up on v8.',
        '  web.1: crashed on v8; Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 60 seconds of launch; exited with status 137; last output: "booting on a port of my own"',
        '  worker.1: starting on v8',
        'Check `tug ps` and `tug logs` for dynos that do not come up.',
        '',
      ].join('\n'))
    })

    it('fails at once when the latest release failed, with advice that fits what made it', async () => {
      nock(API).get('/apps/shop/releases').reply(200, [release(9, {status: 'failed', description: 'Deploy 84926a80'})])
      const result = await runCommand(PsWait, ['-a', 'shop'])
      assert.equal(result.code, 1)
      assert.equal(result.stderr, [
        'Error: The latest release of shop, v9, failed; no dyno will run it.',
        'Its release phase failed; the output is in `tug logs -a shop --dyno release`. Fix the release command and deploy again.',
        '',
      ].join('\n'))
      nock(API).get('/apps/shop/releases').reply(200, [release(9, {status: 'failed', description: 'Set FAIL, GREETING config vars'})])
      const config = await runCommand(PsWait, ['-a', 'shop'])
      assert.equal(config.code, 1)
      assert.equal(config.stderr, [
        'Error: The latest release of shop, v9, failed; no dyno will run it.',
        'Its release phase failed; the output is in `tug logs -a shop --dyno release`. The config change did not take effect: fix the release command or the values and change the config again (`tug config -a shop` shows the values in effect).',
        '',
      ].join('\n'))
    })

    it('rejects a wait interval under 1 second', async () => {
      const result = await runCommand(PsWait, ['-a', 'shop', '--wait-interval', '0'])
      assert.equal(result.code, 2)
      assert.match(result.stderr, /^Error: .*wait-interval/s)
    })
  })
})
