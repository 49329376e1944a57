import assert from 'node:assert/strict'
import nock from 'nock'

import Audit from '../../../src/commands/audit/index.js'
import {parseSince} from '../../../src/lib/audit/format.js'
import type {AuditEvent} from '../../../src/shared/api-types.js'
import {API, runCommand, useNock} from '../../helpers/capture.js'

const NOW = Date.parse('2026-11-27T11:20:29Z')

function event(n: number, fields: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: `e${n}`, created_at: `2026-11-27T11:1${n}:00Z`, actor: {id: 'u1', email: 'you@example.com'}, token: {id: 't1', description: 'CI deploys'},
    app: {id: 'a1', name: 'shop'}, action: 'formation.update', method: 'PATCH', path: '/apps/shop/formation', ...fields,
  }
}

describe('audit', () => {
  useNock()

  it('shows time, who, app, action and token, oldest first as the server sends them', async () => {
    nock(API).get('/audit').reply(200, [
      event(1, {action: 'login', app: null, token: null}),
      event(2),
      event(3, {action: 'login.failed', actor: null, app: null, token: null}),
    ])
    const result = await runCommand(Audit, [])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout, [
      'Time                       Who              App   Action            Token',
      '2026/11/27 11:11:00 +0000  you@example.com        login             password',
      '2026/11/27 11:12:00 +0000  you@example.com  shop  formation.update  CI deploys',
      '2026/11/27 11:13:00 +0000  (unknown)              login.failed      password',
      '',
    ].join('\n'))
  })

  it('sends app, since (as a time) and limit; --json gives the events', async () => {
    nock(API).get('/audit').query({app: 'shop', since: '2026-11-27T09:20:29.000Z', limit: '20'}).reply(200, [event(2)])
    const result = await runCommand(Audit, ['-a', 'shop', '--since', '2h', '-n', '20', '--json'])
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(JSON.parse(result.stdout), [event(2)])
  })

  it('says so when there are none', async () => {
    nock(API).get('/audit').query({since: '2026-11-27T00:00:00.000Z'}).reply(200, [])
    const result = await runCommand(Audit, ['--since', '2026-11-27'])
    assert.equal(result.stdout, '')
    assert.equal(result.stderr, 'No events.\n')
  })

  it('refuses a --since it cannot read, or -n 0, before sending anything', async () => {
    const since = await runCommand(Audit, ['--since', 'yesterday'])
    assert.equal(since.code, 2)
    assert.match(since.stderr, /^Error: --since "yesterday" is neither a duration nor a time\.\nUse a duration such as 30m/)
    const num = await runCommand(Audit, ['-n', '0'])
    assert.equal(num.code, 2)
  })

  it('parseSince reads durations, dates and times (UTC unless a zone is given)', () => {
    assert.equal(parseSince('30s', NOW), '2026-11-27T11:19:59.000Z')
    assert.equal(parseSince('90m', NOW), '2026-11-27T09:50:29.000Z')
    assert.equal(parseSince('7d', NOW), '2026-11-20T11:20:29.000Z')
    assert.equal(parseSince('1w', NOW), '2026-11-20T11:20:29.000Z')
    assert.equal(parseSince('2026-11-27T11:00', NOW), '2026-11-27T11:00:00.000Z')
    assert.equal(parseSince('2026-11-27T11:00:00+01:00', NOW), '2026-11-27T10:00:00.000Z')
    for (const bad of ['1y', 'h', '2026-13-45', 'tomorrow', '']) assert.throws(() => parseSince(bad, NOW), /neither a duration nor a time/, bad)
  })
})
