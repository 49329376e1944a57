// What Heroku's CLI asks of an app that tug has no counterpart for: labs features (`heroku labs`,
// `heroku features`) and pipeline couplings (`heroku apps:info`). Answered as Heroku answers an
// app that has none, so those commands do not fail; an unknown app is still a 404.
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'mocha'

import {startApiServer, type TestApiServer} from '../../helpers/api-server.js'

const APP_NOT_FOUND = {id: 'not_found', message: "Couldn't find that app.", resource: 'app'}
const FEATURE_NOT_FOUND = {id: 'not_found', message: "Couldn't find that feature.", resource: 'feature'}

describe('API: labs features and pipeline couplings (none)', () => {
  let server: TestApiServer

  before(async () => {
    server = await startApiServer()
    await server.call('POST', '/apps', {body: {name: 'plain'}})
  })

  after(async () => {
    await server.close()
  })

  it('lists no features for the account or an app (heroku labs, heroku features)', async () => {
    for (const path of ['/account/features', '/apps/plain/features']) {
      const response = await server.call('GET', path, {headers: {Accept: 'application/vnd.heroku+json; version=3'}})
      assert.equal(response.status, 200, path)
      assert.deepEqual(response.body, [], path)
    }
  })

  it('a named feature is not found (heroku labs:info)', async () => {
    for (const path of ['/account/features/spaces-dns-discovery', '/apps/plain/features/runtime-dyno-metadata']) {
      const response = await server.call('GET', path)
      assert.equal(response.status, 404, path)
      assert.deepEqual(response.body, FEATURE_NOT_FOUND, path)
    }
  })

  it("answers an app's pipeline coupling with Heroku's 404 for an app in no pipeline (heroku apps:info)", async () => {
    const response = await server.call('GET', '/apps/plain/pipeline-couplings', {headers: {Accept: 'application/vnd.heroku+json; version=3.pipelines'}})
    assert.equal(response.status, 404)
    assert.deepEqual(response.body, {id: 'not_found', message: "Couldn't find that pipeline coupling.", resource: 'pipeline_coupling'})
  })

  it('an unknown app is 404 on each, and no token is 401', async () => {
    for (const path of ['/apps/nosuch/features', '/apps/nosuch/features/x', '/apps/nosuch/pipeline-couplings']) {
      const response = await server.call('GET', path)
      assert.equal(response.status, 404, path)
      assert.deepEqual(response.body, APP_NOT_FOUND, path)
    }
    const unauthenticated = await server.call('GET', '/account/features', {token: null})
    assert.equal(unauthenticated.status, 401)
  })
})
