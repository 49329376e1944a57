import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {homedir, tmpdir} from 'node:os'
import {join} from 'node:path'

import {configPath, homeDir, machineFor, resolveTarget, tugHome} from '../../../src/lib/cli/target.js'

describe('cli/target', () => {
  let home: string

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'tug-target-'))
  })
  afterEach(() => rmSync(home, {recursive: true, force: true}))

  it('names the netrc machine host[:port]', () => {
    assert.equal(machineFor('http://127.0.0.1:5055'), '127.0.0.1:5055')
    assert.equal(machineFor('https://tug.example.com/'), 'tug.example.com')
    assert.throws(() => machineFor('ftp://x'), /Invalid control plane URL/)
    assert.throws(() => machineFor('not a url'), /Invalid control plane URL/)
  })

  it('puts the config under XDG_CONFIG_HOME or ~/.config, and TUG_HOME under ~/.local/share', () => {
    assert.equal(configPath({}, home), join(home, '.config', 'tug', 'config.json'))
    assert.equal(configPath({XDG_CONFIG_HOME: '/x'}, home), '/x/tug/config.json')
    assert.equal(tugHome({}, home), join(home, '.local', 'share', 'tug'))
    assert.equal(tugHome({TUG_HOME: '/t'}, home), '/t')
  })

  it("takes the home from HOME, and from the system's user database without it (or with it empty)", () => {
    assert.equal(homeDir({HOME: home}), home)
    assert.equal(homeDir({}), homedir())
    assert.equal(homeDir({HOME: ''}), homedir())
  })

  it('prefers TUG_API_URL and TUG_API_KEY', async () => {
    assert.deepEqual(await resolveTarget({HOME: home, TUG_API_URL: 'http://api.test/', TUG_API_KEY: 'k'}, home), {url: 'http://api.test', token: 'k', source: 'env'})
  })

  it('finds the token for TUG_API_URL in ~/.netrc', async () => {
    writeFileSync(join(home, '.netrc'), 'machine api.test:8080\n  login a@b.c\n  password from-netrc\n')
    assert.deepEqual(await resolveTarget({TUG_API_URL: 'http://api.test:8080'}, home), {url: 'http://api.test:8080', token: 'from-netrc', source: 'env'})
  })

  it('uses the saved login next', async () => {
    mkdirSync(join(home, '.config', 'tug'), {recursive: true})
    writeFileSync(join(home, '.config', 'tug', 'config.json'), JSON.stringify({url: 'https://tug.example.com'}))
    writeFileSync(join(home, '.netrc'), 'machine tug.example.com login a@b.c password saved\n')
    assert.deepEqual(await resolveTarget({}, home), {url: 'https://tug.example.com', token: 'saved', source: 'netrc'})
    assert.deepEqual(await resolveTarget({TUG_API_KEY: 'override'}, home), {url: 'https://tug.example.com', token: 'override', source: 'netrc'})
  })

  it('falls back to the local control plane', async () => {
    // Until the local control plane starts itself, this says how to set a target; once it does, it returns one.
    try {
      const target = await resolveTarget({TUG_NO_AUTOSTART: '1', TUG_HOME: join(home, 'tug')}, home)
      assert.equal(target.source, 'local')
    } catch (error) {
      assert.match((error as Error).message, /control plane|TUG_API_URL|not running|autostart/i)
    }
  })
})
