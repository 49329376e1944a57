// `tug run` over rendezvous against the embedded control plane: the CLI trusts the CA that its
// own local control plane made in the data directory, as it uses the token it finds there, so
// TUG_ATTACH=rendezvous works with no TUG_CA_FILE or NODE_EXTRA_CA_CERTS.
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {killServerOf, runTug} from '../helpers/control-plane.js'

describe('e2e: tug run over rendezvous on the embedded control plane', function () {
  this.timeout(180_000)
  let home: string
  let tugHome: string

  before(() => {
    home = mkdtempSync(join(tmpdir(), 'tug-e2e-local-ca-'))
    tugHome = join(home, '.local', 'share', 'tug')
  })

  after(() => {
    killServerOf(tugHome)
    rmSync(home, {recursive: true, force: true})
  })

  it('attaches with the CA of the local control plane and exits with the status', async () => {
    // Free ports for the router and rendezvous: another control plane on this machine may hold 5080/5056.
    const env = {HOME: home, TUG_RENDEZVOUS_PORT: '0', TUG_ROUTER_PORT: '0'}
    const code = join(home, 'code')
    mkdirSync(code)
    writeFileSync(join(code, 'Procfile'), 'worker: sleep 1000\n')
    assert.equal((await runTug(['apps:create', 'ca-app', '--no-remote'], {env})).code, 0)
    const deployed = await runTug(['deploy', code, '-a', 'ca-app'], {env, timeoutMs: 90_000})
    assert.equal(deployed.code, 0, deployed.stderr)
    const result = await runTug(['run', '-a', 'ca-app', '--', 'echo trusted; exit 3'], {env: {...env, TUG_ATTACH: 'rendezvous'}, timeoutMs: 60_000})
    assert.doesNotMatch(result.stderr, /not trusted/)
    assert.equal(result.stdout, 'trusted\n')
    assert.equal(result.code, 3)
  })
})
