// The router inside the control plane: app lookup from the store, H10 from crashed records, lines
// into the log sink as tug[router], and the drain hook the runtime calls before a stop.
import assert from 'node:assert/strict'
import type {ServerResponse} from 'node:http'
import {createRelease} from '../../../src/server/domain/releases.js'
import {directoryFor, startAppRouter, type RunningRouter, type RuntimeWebDirectory, type WebDyno} from '../../../src/server/router/index.js'
import {StoreOnlyRuntime} from '../../helpers/store-only-runtime.js'
import {Store, type AppRecord} from '../../../src/server/store/index.js'
import {waitFor} from '../../helpers/wait-for.js'
import {fetchVia, startBackend, useRealHttp, type Backend} from './fixtures.js'

describe('router wiring', function () {
  this.timeout(30_000)
  useRealHttp()
  let store: Store
  let app: AppRecord
  let running: RunningRouter | undefined
  let backends: Backend[] = []
  const lines: Array<{appId: string; input: {source: string; dyno: string; message: string}}> = []
  const logs = {write: (appId: string, input: {source: string; dyno: string; message: string}) => lines.push({appId, input})}

  beforeEach(() => {
    store = new Store({path: ':memory:'})
    const account = store.accounts.create({email: 'a@example.com'})
    app = store.apps.create({name: 'shop', owner_id: account.id, region: 'us', stack: 'heroku-24'})
    createRelease(store, {appId: app.id, description: 'Deploy', processTypes: [{name: 'web', command: 'node web.js'}], user: account})
    lines.length = 0
  })

  afterEach(async () => {
    await running?.close()
    running = undefined
    await Promise.all(backends.map((b) => b.close()))
    backends = []
    store.close()
  })

  it('with a runtime that runs nothing: 404 for unknown apps, H14 logged as tug[router]', async () => {
    running = await startAppRouter({store, runtime: new StoreOnlyRuntime(store), logs}, {host: '127.0.0.1', port: 0})
    assert.equal(running.url('shop'), `http://shop.localhost:${running.port}/`)
    assert.equal((await fetchVia(running.port, 'nosuch.localhost')).status, 404)
    assert.equal((await fetchVia(running.port, 'shop.localhost')).status, 503)
    assert.equal(lines.length, 1)
    assert.equal(lines[0]?.appId, app.id)
    assert.deepEqual({source: lines[0]?.input.source, dyno: lines[0]?.input.dyno}, {source: 'tug', dyno: 'router'})
    assert.match(lines[0]?.input.message ?? '', /^at=error code=H14 desc="No web processes running" method=GET path="\/" host=shop\.localhost /)
  })

  it('answers H10 when the web dynos have crashed (they have no process, the store says so)', async () => {
    const release = store.apps.get(app.id)?.current_release_id ?? assert.fail()
    for (const name of ['web.1', 'web.2']) {
      store.dynos.insert(app.id, {name, type: 'web', one_off: false, command: 'node web.js', size: 'Standard-1X', state: 'crashed', release_id: release})
    }
    const directory = directoryFor(store, {list: () => [{name: 'web.2', host: '127.0.0.1', port: 1, state: 'starting'}]})
    assert.deepEqual(directory.list('shop'), [
      {name: 'web.2', host: '127.0.0.1', port: 1, state: 'starting'},
      {name: 'web.1', host: '', port: 0, state: 'crashed'},
    ])
    running = await startAppRouter({store, runtime: new StoreOnlyRuntime(store), logs}, {host: '127.0.0.1', port: 0})
    assert.equal((await fetchVia(running.port, 'shop.localhost')).status, 503)
    assert.match(lines[0]?.input.message ?? '', /^at=error code=H10 desc="App crashed" /)
  })

  it('routes to the runtime web directory and drains a dyno through the before-stop hook', async () => {
    const held: ServerResponse[] = []
    backends = [await startBackend('web.1', (req, res) => {
      req.resume()
      if (req.url === '/slow') held.push(res)
      else res.end('ok')
    })]
    const dynos: WebDyno[] = [backends[0]?.dyno() ?? assert.fail()]
    const hooks: Array<(appId: string, dynoName: string) => void | Promise<void>> = []
    const web: RuntimeWebDirectory = {
      list: (name) => (name === 'shop' ? dynos.map((d) => ({...d})) : []),
      onBeforeStop: (hook) => {
        hooks.push(hook)
        return () => hooks.splice(hooks.indexOf(hook), 1)
      },
    }
    running = await startAppRouter({store, runtime: {webDirectory: () => web}, logs}, {host: '127.0.0.1', port: 0})
    assert.equal(hooks.length, 1)
    const ok = await fetchVia(running.port, `shop.localhost:${running.port}`)
    assert.equal(ok.body.toString(), 'ok')
    assert.match(lines[0]?.input.message ?? '', /^at=info method=GET path="\/" host=shop\.localhost request_id=\S+ fwd="127\.0\.0\.1" dyno=web\.1 connect=\d+ms service=\d+ms status=200 bytes=2 protocol=http$/)

    const slow = fetchVia(running.port, 'shop.localhost', {path: '/slow'})
    await waitFor(() => held.length === 1, {what: 'the slow request'})
    let drained = false
    const hook = hooks[0] ?? assert.fail()
    const draining = Promise.resolve(hook(app.id, 'web.1')).then(() => (drained = true))
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.equal(drained, false)
    held[0]?.end('slow done')
    await draining
    assert.equal((await slow).body.toString(), 'slow done')
    await running.close()
    running = undefined
    assert.equal(hooks.length, 0)
  })
})
