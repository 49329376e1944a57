import assert from 'node:assert/strict'
import nock from 'nock'

import Logs from '../../../src/commands/logs.js'
import {API, runCommand, useNock} from '../../helpers/capture.js'
import {dyno, formation} from '../../helpers/fixtures.js'

const LOGS = 'http://logs.test'
const session = {created_at: '2026-11-27T11:15:29Z', id: '00000000-0000-0000-0000-0000000000f1', logplex_url: `${LOGS}/sessions/s`, updated_at: '2026-11-27T11:15:29Z'}
const LINE = '2026-11-27T11:15:41.123456+00:00 app[web.1]: GET / 200'

describe('logs -d for a dyno or type the app does not have', () => {
  useNock()

  it('says on stderr that the app has no such dyno or type, and lists its types', async () => {
    nock(API).post('/apps/shop/log-sessions', {lines: 100, tail: false, dyno: 'nosuch.1'}).reply(201, session)
    nock(LOGS).get('/sessions/s').reply(200, '', {'Content-Type': 'text/event-stream'})
    nock(API).get('/apps/shop/dynos').reply(200, [dyno('web.1')])
    nock(API).get('/apps/shop/formation').reply(200, [formation('web', 1), formation('worker', 0), formation('clock', 0)])
    const result = await runCommand(Logs, ['-a', 'shop', '-d', 'nosuch.1'])
    assert.equal(result.stdout, '')
    assert.equal(result.stderr, 'No lines: shop has no dyno or process type nosuch.1. Its process types are web, worker, clock.\n')
    assert.equal(result.code, 0)
  })

  it('asks nothing more when lines came', async () => {
    nock(API).post('/apps/shop/log-sessions', {lines: 100, tail: false, dyno: 'web.1'}).reply(201, session)
    nock(LOGS).get('/sessions/s').reply(200, `data: ${LINE}\n\n`, {'Content-Type': 'text/event-stream'})
    const result = await runCommand(Logs, ['-a', 'shop', '-d', 'web.1'])
    assert.equal(result.stdout, `${LINE}\n`)
    assert.equal(result.stderr, '')
  })

  it('stays silent for a known dyno that has no lines yet', async () => {
    nock(API).post('/apps/shop/log-sessions', {lines: 100, tail: false, dyno: 'web'}).reply(201, session)
    nock(LOGS).get('/sessions/s').reply(200, '', {'Content-Type': 'text/event-stream'})
    nock(API).get('/apps/shop/dynos').reply(200, [dyno('web.1')])
    nock(API).get('/apps/shop/formation').reply(200, [formation('web', 1)])
    const result = await runCommand(Logs, ['-a', 'shop', '--type', 'web'])
    assert.equal(result.stderr, '')
    assert.equal(result.code, 0)
  })
})
