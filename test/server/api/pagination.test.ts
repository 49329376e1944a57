// Range pagination over several pages, in every form of platform-api.md 1.7.
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'mocha'
import type {App, Release} from '../../../src/shared/api-types.js'
import {startApiServer, type TestApiServer} from '../../helpers/api-server.js'
import {assertSchemaList} from '../../helpers/schema.js'

const NAMES = ['page-a', 'page-b', 'page-c', 'page-d', 'page-e', 'page-f', 'page-g']

describe('API pagination (Range / Next-Range)', () => {
  let server: TestApiServer
  let byId: string[]

  before(async () => {
    server = await startApiServer()
    for (const name of NAMES) assert.equal((await server.call('POST', '/apps', {body: {name}})).status, 201)
    // Releases v1 (Initial release) .. v8 on page-a.
    for (let i = 1; i <= 7; i++) {
      assert.equal((await server.call('PATCH', '/apps/page-a/config-vars', {body: {N: String(i)}})).status, 200)
    }
    const all = await server.call<App[]>('GET', '/apps')
    byId = all.body.map((a) => a.id)
  })

  after(async () => {
    await server.close()
  })

  async function walk(path: string, range: string): Promise<{items: Array<{id: string}>; statuses: number[]; ranges: string[]}> {
    const items: Array<{id: string}> = []
    const statuses: number[] = []
    const ranges: string[] = []
    let header: string | null = range
    while (header !== null) {
      ranges.push(header)
      const response: {status: number; headers: Headers; body: Array<{id: string}>} = await server.call<Array<{id: string}>>('GET', path, {headers: {Range: header}})
      statuses.push(response.status)
      items.push(...response.body)
      header = response.headers.get('next-range')
      assert.ok(statuses.length < 20, 'pagination does not end')
    }
    return {items, statuses, ranges}
  }

  it('lists apps in id order by default, complete, with 200 and no Next-Range', async () => {
    const response = await server.call<App[]>('GET', '/apps')
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('next-range'), null)
    assert.equal(response.headers.get('accept-ranges'), 'id, name, updated_at')
    assert.deepEqual(byId, [...byId].sort())
    assert.equal(byId.length, 7)
    assert.equal(response.headers.get('content-range'), `id ${byId[0]}..${byId[6]}; max=200`)
    assertSchemaList('app', response.body)
  })

  it('walks several pages of max=3: 206, 206, then 200 without Next-Range', async () => {
    const {items, statuses, ranges} = await walk('/apps', 'id ..; max=3')
    assert.deepEqual(items.map((a) => a.id), byId)
    assert.deepEqual(statuses, [206, 206, 200])
    assert.equal(ranges[1], `id ]${byId[2]}..; max=3`)
    assert.equal(ranges[2], `id ]${byId[5]}..; max=3`)
  })

  it('accepts the trailing semicolon form (CLI paginator)', async () => {
    const {items, statuses} = await walk('/apps', 'id ..; max=2;')
    assert.deepEqual(items.map((a) => a.id), byId)
    assert.deepEqual(statuses, [206, 206, 206, 200])
  })

  it("treats Range: '' as no Range", async () => {
    const response = await server.call<App[]>('GET', '/apps', {headers: {Range: ''}})
    assert.equal(response.status, 200)
    assert.equal(response.body.length, 7)
  })

  it('pages by name with an exclusive start (`]`)', async () => {
    const response = await server.call<App[]>('GET', '/apps', {headers: {Range: 'name ]page-c..; max=2'}})
    assert.equal(response.status, 206)
    assert.deepEqual(response.body.map((a) => a.name), ['page-d', 'page-e'])
    assert.equal(response.headers.get('next-range'), 'name ]page-e..; max=2')
    assert.equal(response.headers.get('content-range'), 'name page-d..page-e; max=2')
  })

  it('pages by name with an inclusive start and an end', async () => {
    const response = await server.call<App[]>('GET', '/apps', {headers: {Range: 'name page-c..page-e'}})
    assert.equal(response.status, 200)
    assert.deepEqual(response.body.map((a) => a.name), ['page-c', 'page-d', 'page-e'])
  })

  it('answers the latest release to `version ..; order=desc,max=1`', async () => {
    const response = await server.call<Release[]>('GET', '/apps/page-a/releases', {headers: {Range: 'version ..; order=desc,max=1'}})
    assert.equal(response.status, 206)
    assert.equal(response.body.length, 1)
    assert.equal(response.body[0]?.version, 8)
    assert.equal(response.body[0]?.current, true)
    assert.equal(response.headers.get('next-range'), 'version ]8..; max=1, order=desc')
    assertSchemaList('release', response.body)
  })

  it('walks releases backwards with `version ..; max=3, order=desc`', async () => {
    const {items, statuses} = await walk('/apps/page-a/releases', 'version ..; max=3, order=desc')
    assert.deepEqual(items.map((r) => (r as unknown as Release).version), [8, 7, 6, 5, 4, 3, 2, 1])
    assert.deepEqual(statuses, [206, 206, 200])
  })

  it('lists releases ascending by version by default, and by id on request', async () => {
    const byVersion = await server.call<Release[]>('GET', '/apps/page-a/releases')
    assert.deepEqual(byVersion.body.map((r) => r.version), [1, 2, 3, 4, 5, 6, 7, 8])
    assert.equal(byVersion.headers.get('accept-ranges'), 'version, id')
    const {items} = await walk('/apps/page-a/releases', 'id ..; max=5')
    assert.deepEqual(items.map((r) => r.id), byVersion.body.map((r) => r.id).sort())
  })

  it('clamps max above 1000 to 1000', async () => {
    const response = await server.call('GET', '/apps', {headers: {Range: 'id ..; max=5000'}})
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-range') ?? '', /; max=1000$/)
  })

  it('answers 416 to malformed syntax and unknown fields', async () => {
    for (const range of ['id', 'id ..; max=0', 'id ..; order=up', 'colour ..', 'id ..123']) {
      const response = await server.call('GET', '/apps', {headers: {Range: range}})
      assert.equal(response.status, 416, range)
      assert.equal((response.body as {id: string}).id, 'requested_range_not_satisfiable')
    }
    const versionOnApps = await server.call('GET', '/apps', {headers: {Range: 'version ..'}})
    assert.equal(versionOnApps.status, 416)
    const badVersion = await server.call('GET', '/apps/page-a/releases', {headers: {Range: 'version abc..'}})
    assert.equal(badVersion.status, 416)
  })

  it('pages formation and dynos by id', async () => {
    await server.deploy('page-b', {web: 'node web.js', worker: 'node worker.js', clock: 'node clock.js'})
    const formation = await walk('/apps/page-b/formation', 'id ..; max=2')
    assert.equal(formation.items.length, 3)
    assert.deepEqual(formation.statuses, [206, 200])
    await server.call('PATCH', '/apps/page-b/formation', {body: {updates: [{type: 'web', quantity: 3}]}})
    const dynos = await walk('/apps/page-b/dynos', 'id ..; max=2')
    assert.equal(dynos.items.length, 3)
    assert.deepEqual(dynos.statuses, [206, 200])
  })
})
