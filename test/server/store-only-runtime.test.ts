// Until the dyno-manager issue, the runtime keeps dyno records in the store only: nothing runs.
import assert from 'node:assert/strict'
import {afterEach, beforeEach, describe, it} from 'mocha'
import {createRelease} from '../../src/server/domain/releases.js'
import {StoreOnlyRuntime} from '../helpers/store-only-runtime.js'
import {Store, type AccountRecord, type AppRecord} from '../../src/server/store/index.js'

describe('StoreOnlyRuntime', () => {
  let store: Store
  let runtime: StoreOnlyRuntime
  let account: AccountRecord
  let app: AppRecord

  const names = () => store.dynos.list(app.id).map((d) => `${d.name}:${d.state}`).sort()
  const scale = (type: string, quantity: number, size = 'Standard-1X') => {
    const entry = store.formation.getByType(app.id, type)
    assert.ok(entry)
    store.formation.update(app.id, entry.id, {quantity, size})
  }

  beforeEach(() => {
    store = new Store({path: ':memory:'})
    let n = 0
    runtime = new StoreOnlyRuntime(store, () => n++)
    account = store.accounts.create({email: 'a@example.com'})
    app = store.apps.create({name: 'rt', owner_id: account.id, region: 'us', stack: 'heroku-24'})
    createRelease(store, {
      appId: app.id,
      description: 'Deploy',
      processTypes: [
        {name: 'web', command: 'web-cmd'},
        {name: 'worker', command: 'worker-cmd'},
      ],
      user: account,
    })
  })

  afterEach(() => {
    store.close()
  })

  it('materialises the formation as <type>.<n> records in state up, and removes the highest on scale-down', async () => {
    await runtime.formationChanged(app.id)
    assert.deepEqual(names(), ['web.1:up'])
    scale('web', 3)
    scale('worker', 2, 'Standard-2X')
    await runtime.formationChanged(app.id)
    assert.deepEqual(names(), ['web.1:up', 'web.2:up', 'web.3:up', 'worker.1:up', 'worker.2:up'])
    assert.equal(store.dynos.findByName(app.id, 'worker.2')?.size, 'Standard-2X')
    scale('web', 1)
    await runtime.formationChanged(app.id)
    assert.deepEqual(names(), ['web.1:up', 'worker.1:up', 'worker.2:up'])
  })

  it('moves formation dynos onto a new release with its commands, leaving one-offs where they were', async () => {
    await runtime.formationChanged(app.id)
    const first = store.apps.get(app.id)?.current_release_id
    const oneOff = await runtime.createOneOff(app.id, {
      command: 'bash', type: 'run', size: 'Standard-1X', attach: false, forceNoTty: false, env: {A: '1'}, timeToLive: null, releaseId: first as string,
    })
    assert.equal(oneOff.name, 'run.1000')
    assert.equal(oneOff.attach_url, null)
    const next = createRelease(store, {appId: app.id, description: 'Deploy 2', processTypes: [{name: 'web', command: 'web-2'}], user: account})
    await runtime.releaseChanged(app.id)
    const web = store.dynos.findByName(app.id, 'web.1')
    assert.equal(web?.release_id, next.id)
    assert.equal(web?.command, 'web-2')
    assert.equal(store.dynos.findByName(app.id, 'run.1000')?.release_id, first)
  })

  it('stops a one-off for good but keeps a formation dyno, and restarts keep records', async () => {
    await runtime.formationChanged(app.id)
    const release = store.apps.get(app.id)?.current_release_id as string
    const oneOff = await runtime.createOneOff(app.id, {
      command: 'bash', type: 'run', size: 'Standard-1X', attach: true, forceNoTty: false, env: {}, timeToLive: 60, releaseId: release,
    })
    await runtime.restart(app.id, {kind: 'all'})
    assert.deepEqual(names(), ['run.1000:up', 'web.1:up'])
    await runtime.stop(app.id, {kind: 'dyno', dynoId: oneOff.id})
    const web = store.dynos.findByName(app.id, 'web.1')
    await runtime.stop(app.id, {kind: 'type', type: 'web'})
    assert.deepEqual(names(), ['web.1:up'])
    assert.equal(store.dynos.findByName(app.id, 'web.1')?.id, web?.id)
  })

  it('never picks a one-off name already in use', async () => {
    const values = [5, 5, 5, 6]
    const picky = new StoreOnlyRuntime(store, () => values.shift() ?? 0)
    const release = store.apps.get(app.id)?.current_release_id as string
    const spec = {command: 'x', type: 'run', size: 'Eco', attach: false, forceNoTty: false, env: {}, timeToLive: null, releaseId: release}
    assert.equal((await picky.createOneOff(app.id, spec)).name, 'run.1005')
    assert.equal((await picky.createOneOff(app.id, spec)).name, 'run.1006')
  })
})
