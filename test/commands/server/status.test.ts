import assert from 'node:assert/strict'
import nock from 'nock'

import ServerStatus from '../../../src/commands/server/status.js'
import {API, runCommand, useNock} from '../../helpers/capture.js'
import {networkError} from '../../helpers/network-error.js'

describe('server:status against the control plane tug points at', () => {
  useNock()

  it('shows the TUG_API_URL target, that it answers, and as whom', async () => {
    nock(API, {reqheaders: {authorization: 'Bearer test-key'}}).get('/account').reply(200, {email: 'you@example.com', id: 'a'})
    const result = await runCommand(ServerStatus, [])
    assert.equal(result.stdout, 'tug points at the control plane at http://api.test (TUG_API_URL); it answers, logged in as you@example.com.\n')
    assert.equal(result.code, 0)
  })

  it('says when it refuses the token, or has none', async () => {
    nock(API).get('/account').reply(401, {id: 'unauthorized', message: 'Invalid credentials provided.'})
    const refused = await runCommand(ServerStatus, [])
    assert.equal(refused.stdout, 'tug points at the control plane at http://api.test (TUG_API_URL); it answers but refuses the token.\n')
    nock(API, {badheaders: ['authorization']}).get('/account').reply(401, {id: 'unauthorized', message: 'Invalid credentials provided.'})
    const none = await runCommand(ServerStatus, [], {env: {TUG_API_KEY: undefined}})
    assert.equal(none.stdout, 'tug points at the control plane at http://api.test (TUG_API_URL); it answers, but tug has no token for it (`tug login http://api.test`, or TUG_API_KEY).\n')
  })

  it('says when it does not answer, and gives it all with --json', async () => {
    nock(API).get('/account').replyWithError(networkError('ECONNREFUSED', 'connect ECONNREFUSED'))
    const result = await runCommand(ServerStatus, ['--json'])
    const status = JSON.parse(result.stdout) as {running: boolean; points_at: unknown}
    assert.equal(status.running, false)
    assert.deepEqual(status.points_at, {url: 'http://api.test', source: 'env', status: 'down', email: null, reason: 'connection refused (ECONNREFUSED)', has_token: true})
    nock(API).get('/account').replyWithError(networkError('ECONNREFUSED', 'connect ECONNREFUSED'))
    const text = await runCommand(ServerStatus, [])
    assert.equal(text.stdout, 'tug points at the control plane at http://api.test (TUG_API_URL); it does not answer: connection refused (ECONNREFUSED).\n')
  })

  it('speaks of the local server with --data-dir, whatever TUG_API_URL says', async () => {
    const result = await runCommand(ServerStatus, ['--data-dir', '/nonexistent/tug'])
    assert.equal(result.stdout, 'No tug server is running on /nonexistent/tug.\n')
  })
})
