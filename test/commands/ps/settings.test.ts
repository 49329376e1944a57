import assert from 'node:assert/strict'
import nock from 'nock'

import PsSettings from '../../../src/commands/ps/settings.js'
import type {RuntimeSettings} from '../../../src/shared/api-types.js'
import {API, runCommand, useNock} from '../../helpers/capture.js'

const settings = (overrides: Partial<RuntimeSettings> = {}): RuntimeSettings => ({stop_grace_seconds: null, rolling_restart: true, ...overrides})

describe('ps:settings', () => {
  useNock()

  it('shows the settings without flags, defaults marked', async () => {
    nock(API).get('/apps/shop/runtime-settings').reply(200, settings())
    const result = await runCommand(PsSettings, ['-a', 'shop'])
    assert.equal(result.stdout, '=== shop Dyno Settings\nRolling restart: on\nStop grace:      30s (default)\n')
    assert.equal(result.stderr, '')
    assert.equal(result.code, 0)
  })

  it('shows the default the control plane says it has', async () => {
    nock(API).get('/apps/shop/runtime-settings').reply(200, settings({default_stop_grace_seconds: 10}))
    const result = await runCommand(PsSettings, ['-a', 'shop'])
    assert.equal(result.stdout, '=== shop Dyno Settings\nRolling restart: on\nStop grace:      10s (default)\n')
  })

  it('shows settings that were changed', async () => {
    nock(API).get('/apps/shop/runtime-settings').reply(200, settings({rolling_restart: false, stop_grace_seconds: 90}))
    const result = await runCommand(PsSettings, ['-a', 'shop'])
    assert.equal(result.stdout, '=== shop Dyno Settings\nRolling restart: off\nStop grace:      90s\n')
  })

  it('turns rolling restart off with one PATCH and prints the result', async () => {
    nock(API).patch('/apps/shop/runtime-settings', {rolling_restart: false}).reply(200, settings({rolling_restart: false, stop_grace_seconds: 10}))
    const result = await runCommand(PsSettings, ['--rolling-restart', 'off', '-a', 'shop'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stderr, 'Updating dyno settings on shop... done\n')
    assert.equal(result.stdout, '=== shop Dyno Settings\nRolling restart: off\nStop grace:      10s\n')
  })

  it('sends both settings at once, and default as null', async () => {
    nock(API).patch('/apps/shop/runtime-settings', {rolling_restart: null, stop_grace_seconds: 60}).reply(200, settings({stop_grace_seconds: 60}))
    const result = await runCommand(PsSettings, ['--rolling-restart', 'default', '--stop-grace', '60', '-a', 'shop'])
    assert.equal(result.stdout, '=== shop Dyno Settings\nRolling restart: on\nStop grace:      60s\n')
    nock(API).patch('/apps/shop/runtime-settings', {rolling_restart: true, stop_grace_seconds: null}).reply(200, settings())
    const reset = await runCommand(PsSettings, ['--rolling-restart', 'on', '--stop-grace', 'default', '-a', 'shop'])
    assert.equal(reset.stdout, '=== shop Dyno Settings\nRolling restart: on\nStop grace:      30s (default)\n')
  })

  it('returns the wire object with --json', async () => {
    nock(API).get('/apps/shop/runtime-settings').reply(200, settings({stop_grace_seconds: 5}))
    const shown = await runCommand(PsSettings, ['-a', 'shop', '--json'])
    assert.deepEqual(JSON.parse(shown.stdout), {stop_grace_seconds: 5, rolling_restart: true})
    assert.deepEqual(shown.result, {stop_grace_seconds: 5, rolling_restart: true})
    nock(API).patch('/apps/shop/runtime-settings', {stop_grace_seconds: 300}).reply(200, settings({stop_grace_seconds: 300}))
    const changed = await runCommand(PsSettings, ['-a', 'shop', '--stop-grace', '300', '--json'])
    assert.deepEqual(JSON.parse(changed.stdout), {stop_grace_seconds: 300, rolling_restart: true})
  })

  for (const argv of [['--rolling-restart', 'maybe'], ['--stop-grace', '0'], ['--stop-grace', '301'], ['--stop-grace', 'abc'], ['--stop-grace', '1.5'], ['--stop-grace', '']]) {
    it(`rejects ${argv.join(' ')} as a usage error without sending anything`, async () => {
      const result = await runCommand(PsSettings, [...argv, '-a', 'shop'])
      assert.equal(result.code, 2)
      assert.match(result.stderr, /^Error: .*--(rolling-restart|stop-grace)/)
      assert.equal(result.stdout, '')
    })
  }

  it('says what each flag accepts', async () => {
    const grace = await runCommand(PsSettings, ['--stop-grace', 'abc', '-a', 'shop'])
    assert.equal(grace.stderr, 'Error: --stop-grace must be a whole number of seconds from 1 to 300, or default; got "abc".\n')
    const rolling = await runCommand(PsSettings, ['--rolling-restart', 'maybe', '-a', 'shop'])
    assert.equal(rolling.stderr, 'Error: Expected --rolling-restart=maybe to be one of: on, off, default\nSee more help with --help.\n')
  })

  it("shows the server's error", async () => {
    nock(API).patch('/apps/shop/runtime-settings').reply(404, {id: 'not_found', message: "Couldn't find that app.", resource: 'app'})
    const result = await runCommand(PsSettings, ['--rolling-restart', 'off', '-a', 'shop'])
    assert.equal(result.code, 1)
    assert.equal(result.stderr, "Updating dyno settings on shop... !\nError: Couldn't find that app.\nCheck the app name with `tug apps`.\n")
  })
})
