import assert from 'node:assert/strict'
import type {BuildpackInstallations as HerokuBuildpackInstallation} from '@heroku-cli/schema'
import {after, before, describe, it} from 'mocha'
import type {BuildpackInstallation} from '../../../src/shared/api-types.js'
import {Store} from '../../../src/server/store/index.js'
import {startApiServer, type TestApiServer} from '../../helpers/api-server.js'

// tug's wire type held against Heroku's published one: every field tug sends is one Heroku
// declares, with a type Heroku's allows (the build fails otherwise).
type Declared<T> = keyof {[K in keyof T as string extends K ? never : K]: T[K]}
type Extra<Ours, Theirs> = Exclude<keyof Ours, Declared<Theirs>>
const noExtraFields: [Extra<BuildpackInstallation, HerokuBuildpackInstallation>, Extra<BuildpackInstallation['buildpack'], NonNullable<HerokuBuildpackInstallation['buildpack']>>] extends [never, never] ? true : false = true
// Spread: an interface has no implicit index signature, the object literal made of it has.
const assignable = (wire: BuildpackInstallation): HerokuBuildpackInstallation => ({...wire, buildpack: {...wire.buildpack}})

describe('API: buildpack installations', () => {
  let server: TestApiServer
  const path = '/apps/packed/buildpack-installations'

  before(async () => {
    server = await startApiServer()
    await server.call('POST', '/apps', {body: {name: 'packed'}})
  })

  after(async () => {
    await server.close()
  })

  const put = (updates: unknown, unchecked = false) => server.call<BuildpackInstallation[]>('PUT', path, {body: {updates}, unchecked})

  it('holds the wire type against Heroku\'s', () => {
    assert.equal(noExtraFields, true)
    assert.deepEqual(assignable({buildpack: {url: 'heroku/nodejs', name: 'heroku/nodejs'}, ordinal: 0}).ordinal, 0)
  })

  it('starts empty, replaces the list in order, and an empty list clears it', async () => {
    const empty = await server.call('GET', path)
    assert.deepEqual([empty.status, empty.body], [200, []])

    const set = await put([{buildpack: 'heroku/nodejs'}, {buildpack: ' https://example.com/bp.tgz '}, {buildpack: 'git@github.com:me/bp.git#v2'}])
    const list = [
      {buildpack: {url: 'heroku/nodejs', name: 'heroku/nodejs'}, ordinal: 0},
      {buildpack: {url: 'https://example.com/bp.tgz', name: 'https://example.com/bp.tgz'}, ordinal: 1},
      {buildpack: {url: 'git@github.com:me/bp.git#v2', name: 'git@github.com:me/bp.git#v2'}, ordinal: 2},
    ]
    assert.deepEqual([set.status, set.body], [200, list])
    assert.deepEqual((await server.call('GET', path)).body, list)

    const replaced = await put([{buildpack: '/srv/buildpacks/go'}, {buildpack: 'heroku/nodejs'}])
    assert.deepEqual(replaced.body, [
      {buildpack: {url: '/srv/buildpacks/go', name: '/srv/buildpacks/go'}, ordinal: 0},
      {buildpack: {url: 'heroku/nodejs', name: 'heroku/nodejs'}, ordinal: 1},
    ])

    const cleared = await put([])
    assert.deepEqual([cleared.status, cleared.body], [200, []])
    assert.deepEqual((await server.call('GET', path)).body, [])
  })

  it('refuses a bad buildpack or body with 422, names it, and changes nothing', async () => {
    await put([{buildpack: 'heroku/python'}])
    const cases: Array<[unknown, RegExp]> = [
      [[{buildpack: 'heroku/ruby'}], /^Buildpack 1 is invalid: "heroku\/ruby" is not a buildpack tug knows; tug has the built-in buildpacks heroku\/nodejs and heroku\/python; give any other as a URL \(https tarball, git URL\) or a directory\.$/],
      [[{buildpack: 'heroku/nodejs'}, {buildpack: 'http://example.com/bp.tgz'}], /^Buildpack 2 is invalid: .*over https only/],
      [[{buildpack: 'heroku/nodejs'}, {buildpack: 'heroku/nodejs'}], /given twice/],
      [[{buildpack: 42}], /updates\[0\]\.buildpack must be a string/],
      [['heroku/nodejs'], /updates\[0\]\.buildpack must be a string/],
      ['heroku/nodejs', /updates is required/],
      [Array.from({length: 21}, (_, i) => ({buildpack: `/srv/bp${i}`})), /at most 20 buildpacks/],
    ]
    for (const [updates, message] of cases) {
      const response = await put(updates)
      assert.equal(response.status, 422, JSON.stringify(updates))
      assert.equal((response.body as unknown as {id: string}).id, 'invalid_params')
      assert.match((response.body as unknown as {message: string}).message, message)
    }
    const missing = await server.call('PUT', path, {body: {}})
    assert.equal(missing.status, 422)
    assert.deepEqual((await server.call('GET', path)).body, [{buildpack: {url: 'heroku/python', name: 'heroku/python'}, ordinal: 0}])
  })

  it('answers 404 for an app the caller cannot see, and forgets the list with the app', async () => {
    assert.equal((await server.call('GET', '/apps/nope/buildpack-installations')).status, 404)
    assert.equal((await server.call('PUT', '/apps/nope/buildpack-installations', {body: {updates: []}})).status, 404)
    await server.call('POST', '/apps', {body: {name: 'short-lived'}})
    await server.call('PUT', '/apps/short-lived/buildpack-installations', {body: {updates: [{buildpack: 'heroku/nodejs'}]}})
    const app = (await server.call<{id: string}>('GET', '/apps/short-lived')).body
    assert.equal((await server.call('DELETE', '/apps/short-lived')).status, 200)
    const store = new Store({path: `${server.dataDir}/tug.db`})
    try {
      assert.deepEqual(store.db.prepare('SELECT count(*) AS n FROM buildpack_installations WHERE app_id = ?').get(app.id), {n: 0})
    } finally {
      store.close()
    }
  })
})
