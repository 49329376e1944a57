import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {UsageError} from '../../../src/lib/errors.js'
import {basePort, readEnvFiles, readProcfile} from '../../../src/lib/local/project.js'

describe('tug local project files', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tug-local-project-'))
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  it('reads the Procfile of the working directory or -f, and runs from its directory', () => {
    mkdirSync(join(dir, 'app'))
    writeFileSync(join(dir, 'app', 'Procfile.dev'), 'web: node a.js\n')
    const procfile = readProcfile('app/Procfile.dev', dir)
    assert.equal(procfile.dir, join(dir, 'app'))
    assert.deepEqual(procfile.types.map((t) => t.name), ['web'])
    assert.throws(() => readProcfile(undefined, dir), (e: unknown) => e instanceof UsageError && e.message === `No Procfile at ${join(dir, 'Procfile')}.`)
    writeFileSync(join(dir, 'Procfile'), 'web: a\nweb: b\n')
    assert.throws(() => readProcfile(undefined, dir), (e: unknown) => e instanceof UsageError && e.message === `${join(dir, 'Procfile')}: line 2: process type "web" is already defined on line 1`)
  })

  it('reads .env beside the Procfile when there is one, and nothing when there is none', () => {
    assert.deepEqual(readEnvFiles(undefined, '/', dir), {})
    writeFileSync(join(dir, '.env'), 'A=1\n')
    assert.deepEqual(readEnvFiles(undefined, '/', dir), {A: '1'})
  })

  it('reads -e files relative to the working directory, later ones winning, and requires each', () => {
    writeFileSync(join(dir, 'a.env'), 'A=1\nB=1\n')
    writeFileSync(join(dir, 'b.env'), 'B=2\n')
    assert.deepEqual(readEnvFiles('a.env,b.env', dir, '/elsewhere'), {A: '1', B: '2'})
    assert.throws(() => readEnvFiles('a.env,missing.env', dir, dir), (e: unknown) => e instanceof UsageError && e.message === `No env file at ${join(dir, 'missing.env')}.`)
  })

  it('names the file and the line of a malformed .env', () => {
    writeFileSync(join(dir, '.env'), 'A=1\nB\n')
    assert.throws(() => readEnvFiles(undefined, dir, dir), (e: unknown) => e instanceof UsageError && e.message === `${join(dir, '.env')} line 2: expected KEY=value, got "B".` && /nothing was started/.test(e.hint ?? ''))
  })

  it('takes the base port from -p, else PORT in .env, else in the environment, else 5000', () => {
    assert.equal(basePort(6000, {PORT: '7000'}, {PORT: '8000'}), 6000)
    assert.equal(basePort(undefined, {PORT: '7000'}, {PORT: '8000'}), 7000)
    assert.equal(basePort(undefined, {}, {PORT: '8000'}), 8000)
    assert.equal(basePort(undefined, {}, {}), 5000)
    assert.throws(() => basePort(undefined, {PORT: 'http'}, {}), /PORT from \.env is "http", not a port number/)
  })
})
