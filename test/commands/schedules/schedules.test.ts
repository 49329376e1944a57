import assert from 'node:assert/strict'
import nock from 'nock'

import Schedules from '../../../src/commands/schedules/index.js'
import SchedulesAdd from '../../../src/commands/schedules/add.js'
import SchedulesRemove from '../../../src/commands/schedules/remove.js'
import type {Schedule} from '../../../src/shared/api-types.js'
import {API, runCommand, useNock} from '../../helpers/capture.js'

const ID = '00000000-0000-0000-0000-000000000001'

const schedule = (overrides: Partial<Schedule> = {}): Schedule => ({
  app: {id: '01234567-89ab-cdef-0123-456789abcdef', name: 'shop'},
  id: ID,
  schedule: '*/10 * * * *',
  timezone: 'Europe/Berlin',
  command: 'rake cleanup',
  size: 'Standard-1X',
  next_run_at: '2026-11-27T11:20:00Z',
  last_run_at: null,
  created_at: '2026-11-27T11:15:29Z',
  updated_at: '2026-11-27T11:15:29Z',
  ...overrides,
})

describe('schedules commands', () => {
  useNock()

  it('schedules lists each schedule with its next run', async () => {
    nock(API).get('/apps/shop/schedules').reply(200, [schedule()])
    const result = await runCommand(Schedules, ['-a', 'shop'])
    assert.equal(result.stdout, `=== shop Schedules\n${ID}  */10 * * * * (Europe/Berlin)  rake cleanup  next 2026-11-27T11:20:00Z\n`)
    assert.equal(result.code, 0)
    nock(API).get('/apps/shop/schedules').reply(200, [])
    const none = await runCommand(Schedules, ['-a', 'shop'])
    assert.deepEqual([none.stdout, none.stderr], ['', 'shop has no schedules.\n'])
  })

  it('schedules:add sends the expression, the zone and the command after --, verbatim', async () => {
    nock(API)
      .post('/apps/shop/schedules', {schedule: '*/10 * * * *', command: 'rake cleanup --force', timezone: 'Europe/Berlin'})
      .reply(201, schedule({command: 'rake cleanup --force'}))
    const result = await runCommand(SchedulesAdd, ['*/10 * * * *', '--tz', 'Europe/Berlin', '-a', 'shop', '--', 'rake', 'cleanup', '--force'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout, `Scheduled \`rake cleanup --force\` at */10 * * * * (Europe/Berlin) on shop: ${ID}\n`)
  })

  it('schedules:add without a command is a usage error', async () => {
    const result = await runCommand(SchedulesAdd, ['@daily', '-a', 'shop'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /No command given/)
  })

  it('schedules:remove deletes by id', async () => {
    nock(API).delete(`/apps/shop/schedules/${ID}`).reply(200, schedule())
    const result = await runCommand(SchedulesRemove, [ID, '-a', 'shop'])
    assert.equal(result.stdout, `Removed the schedule ${ID} (\`rake cleanup\` at */10 * * * *)\n`)
  })
})
