import assert from 'node:assert/strict'

import {dyno, formation} from '../../helpers/fixtures.js'
import {formatFormation, formatPs, formatScaled} from '../../../src/lib/ps/format.js'



describe('ps/format', () => {
  const now = Date.parse('2026-11-27T11:19:16Z')

  it('lists one-off dynos first, then groups by type in dyno-number order', () => {
    const dynos = [
      dyno('web.10'),
      dyno('worker.1', {command: 'node worker.js', state: 'crashed'}),
      dyno('web.2'),
      dyno('run.4821', {updated_at: '2026-11-27T11:14:16Z'}),
    ]
    assert.deepEqual(formatPs(dynos, {now, color: false}), [
      '=== run: one-off processes (1)',
      'run.4821 (Standard-1X): up 2026/11/27 11:14:16 +0000 (~ 5m ago): bash',
      '',
      '=== web (Standard-1X): npm start (2)',
      'web.2: up 2026/11/27 11:19:13 +0000 (~ 3s ago)',
      'web.10: up 2026/11/27 11:19:13 +0000 (~ 3s ago)',
      '',
      '=== worker (Standard-1X): node worker.js (1)',
      'worker.1: crashed 2026/11/27 11:19:13 +0000 (~ 3s ago)',
    ])
  })

  it('shows crashed dynos in red when colour is on', () => {
    const lines = formatPs([dyno('web.1', {state: 'crashed'})], {now, color: true})
    assert.equal(lines[1], 'web.1: \u001B[31mcrashed\u001B[39m 2026/11/27 11:19:13 +0000 (~ 3s ago)')
  })

  it('prints the formation and the scaled types', () => {
    const f = [formation('worker', 4), formation('web', 2)]
    assert.equal(formatFormation(f), 'web=2:Standard-1X worker=4:Standard-1X')
    assert.equal(formatScaled(f, ['web', 'worker']), 'web at 2:Standard-1X, worker at 4:Standard-1X')
    assert.equal(formatScaled(f, ['worker']), 'worker at 4:Standard-1X')
  })
})
