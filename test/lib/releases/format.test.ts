import assert from 'node:assert/strict'

import {release} from '../../helpers/fixtures.js'
import {formatReleaseInfo, formatReleases, parseVersion} from '../../../src/lib/releases/format.js'


describe('releases/format', () => {
  const now = Date.parse('2026-11-27T11:20:29Z')

  it('lists releases in aligned columns under the current version', () => {
    const lines = formatReleases('shop', [
      release(7, {description: 'Set FOO config vars', current: true}),
      release(6, {description: 'Deploy 5ec1351', status: 'failed', created_at: '2026-11-27T09:20:29Z'}),
    ], now)
    assert.deepEqual(lines, [
      '=== shop Releases - Current: v7',
      'v7  Set FOO config vars      you@example.com  2026/11/27 11:15:29 +0000 (~ 5m ago)',
      'v6  Deploy 5ec1351 (failed)  you@example.com  2026/11/27 09:20:29 +0000 (~ 2h ago)',
    ])
  })

  it('shows one release with its config vars', () => {
    assert.deepEqual(formatReleaseInfo(release(7, {current: true}), {FOO: 'bar'}, now), [
      '=== Release v7',
      'By:      you@example.com',
      'Change:  Deploy v7',
      'Current: yes',
      'Status:  succeeded',
      'When:    2026/11/27 11:15:29 +0000 (~ 5m ago)',
      '',
      '=== v7 Config vars',
      'FOO: bar',
    ])
  })

  it('parses versions with or without v', () => {
    assert.equal(parseVersion('7'), 7)
    assert.equal(parseVersion('v12'), 12)
    assert.throws(() => parseVersion('seven'), /not a release version/)
    assert.throws(() => parseVersion('v0'), /not a release version/)
  })
})
