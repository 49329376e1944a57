import assert from 'node:assert/strict'

import {dyno} from '../../helpers/fixtures.js'
import {formatPs} from '../../../src/lib/ps/format.js'

describe('ps/format --extended', () => {
  const now = Date.parse('2026-11-27T11:19:16Z')
  const dynos = [
    Object.assign(dyno('web.1'), {memory_bytes: 52_428_800, restart_count: 2}),
    Object.assign(dyno('run.1', {state: 'crashed', updated_at: '2026-11-27T11:14:16Z'}), {memory_bytes: null, restart_count: 0, exit_status: 7}),
  ]

  it('adds memory and restarts to formation dynos and the exit status to ended one-offs', () => {
    assert.deepEqual(formatPs(dynos, {now, color: false, extended: true}), [
      '=== run: one-off processes (1)',
      'run.1 (Standard-1X): crashed 2026/11/27 11:14:16 +0000 (~ 5m ago): bash  exit=7',
      '',
      '=== web (Standard-1X): npm start (1)',
      'web.1: up 2026/11/27 11:19:13 +0000 (~ 3s ago)  mem=50.0MB restarts=2',
    ])
  })

  it('shows nothing extra without --extended, or for a server that sends no extra fields', () => {
    assert.deepEqual(formatPs(dynos, {now, color: false}).at(-1), 'web.1: up 2026/11/27 11:19:13 +0000 (~ 3s ago)')
    assert.deepEqual(formatPs([dyno('web.1')], {now, color: false, extended: true}).at(-1), 'web.1: up 2026/11/27 11:19:13 +0000 (~ 3s ago)')
  })
})
