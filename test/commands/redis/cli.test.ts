import assert from 'node:assert/strict'
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import nock from 'nock'

import RedisCli from '../../../src/commands/redis/cli.js'
import {API, runCommand, useNock} from '../../helpers/capture.js'
import {addon, attachment} from '../pg/fixtures.js'

const REDIS = {id: 'a0000000-0000-0000-0000-000000000002', name: 'redis-shiny-54321'}

describe('redis:cli', () => {
  useNock()
  let bin: string
  before(() => {
    bin = mkdtempSync(join(tmpdir(), 'tug-fake-redis-cli-'))
    // A stand-in redis-cli: records its arguments, REDISCLI_AUTH and what it read on stdin.
    writeFileSync(join(bin, 'redis-cli'), `#!/bin/sh\n{ printf '%s\\n' "$@" "REDISCLI_AUTH=$REDISCLI_AUTH"; while IFS= read -r line; do printf 'stdin: %s\\n' "$line"; done; } > "${join(bin, 'called')}"\n`)
    chmodSync(join(bin, 'redis-cli'), 0o755)
  })
  after(() => rmSync(bin, {recursive: true, force: true}))

  const attached = (url: string) => {
    nock(API).get('/apps/shop/addons').reply(200, [addon(REDIS, 'redis')])
    nock(API).get('/apps/shop/addon-attachments').reply(200, [attachment(REDIS, 'CACHE')])
    nock(API).get('/apps/shop/config-vars').reply(200, {CACHE_URL: url})
  }

  it('runs redis-cli -u with the only Redis add-on, the password in REDISCLI_AUTH and each -c a line on stdin', async () => {
    attached('redis://default:p%40ss@127.0.0.1:41234')
    const result = await runCommand(RedisCli, ['-a', 'shop', '-c', 'SET a "b c"', '-c', 'GET a'], {env: {PATH: bin}})
    assert.equal(result.code, 0, result.stderr)
    assert.equal(readFileSync(join(bin, 'called'), 'utf8'), '-u\nredis://127.0.0.1:41234\nREDISCLI_AUTH=p@ss\nstdin: SET a "b c"\nstdin: GET a\n')
  })

  it('passes a user other than default with --user', async () => {
    attached('redis://app_1:pw@10.0.0.5:6379')
    const result = await runCommand(RedisCli, ['CACHE_URL', '-a', 'shop', '-c', 'PING'], {env: {PATH: bin}})
    assert.equal(result.code, 0, result.stderr)
    assert.equal(readFileSync(join(bin, 'called'), 'utf8'), '-u\nredis://10.0.0.5:6379\n--user\napp_1\nREDISCLI_AUTH=pw\nstdin: PING\n')
  })

  it('names what to install when redis-cli is missing, and the add-ons there are when the one named is not', async () => {
    attached('redis://default:pw@127.0.0.1:41234')
    const missing = await runCommand(RedisCli, ['-a', 'shop', '-c', 'PING'], {env: {PATH: join(bin, 'none')}})
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /redis-cli is not installed[\s\S]*apt-get install redis-tools/)
    nock(API).get('/apps/shop/addons').reply(200, [addon(REDIS, 'redis')])
    nock(API).get('/apps/shop/addon-attachments').reply(200, [attachment(REDIS, 'CACHE')])
    const wrong = await runCommand(RedisCli, ['SESSIONS', '-a', 'shop'], {env: {PATH: bin}})
    assert.equal(wrong.code, 2)
    assert.match(wrong.stderr, /shop has no Redis add-on called SESSIONS\.[\s\S]*CACHE \(redis-shiny-54321\)/)
  })
})
