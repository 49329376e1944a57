import assert from 'node:assert/strict'
import {after, before, describe, it} from 'mocha'
import type {Formation, Release} from '../../../src/shared/api-types.js'
import {startApiServer, type TestApiServer} from '../../helpers/api-server.js'
import {assertSchema, assertSchemaList} from '../../helpers/schema.js'

const RELEASE_NOT_FOUND = {id: 'not_found', message: "Couldn't find that release.", resource: 'release'}

describe('API: releases', () => {
  let server: TestApiServer

  before(async () => {
    server = await startApiServer()
    await server.call('POST', '/apps', {body: {name: 'rel'}})
    await server.call('PATCH', '/apps/rel/config-vars', {body: {STAGE: 'one'}}) // v2
    await server.deploy('rel', {web: 'node v1.js', worker: 'node w.js'}) // v3
    await server.call('PATCH', '/apps/rel/config-vars', {body: {STAGE: 'two'}}) // v4
    await server.deploy('rel', {web: 'node v2.js'}) // v5
  })

  after(async () => {
    await server.close()
  })

  it('lists releases ascending by version, only the last one current', async () => {
    const response = await server.call<Release[]>('GET', '/apps/rel/releases')
    assert.equal(response.status, 200)
    assertSchemaList('release', response.body)
    assert.deepEqual(
      response.body.map((r) => [r.version, r.description, r.current, r.status]),
      [
        [1, 'Initial release', false, 'succeeded'],
        [2, 'Set STAGE config vars', false, 'succeeded'],
        [3, 'Deploy', false, 'succeeded'],
        [4, 'Set STAGE config vars', false, 'succeeded'],
        [5, 'Deploy', true, 'succeeded'],
      ],
    )
    const [v1, , v3, v4] = response.body as [Release, Release, Release, Release]
    assert.equal(v1.slug, null)
    assert.deepEqual(v1.artifacts, [])
    assert.deepEqual(v4.slug, v3.slug, 'a config change keeps the code')
    assert.deepEqual(v3.artifacts, [{type: 'slug', id: v3.slug?.id}])
    assert.equal(v1.user.email, 'admin@tug.local')
  })

  it('shows a release by version or id; unknown ones are 404', async () => {
    const byVersion = await server.call<Release>('GET', '/apps/rel/releases/3')
    assert.equal(byVersion.status, 200)
    assertSchema('release', byVersion.body)
    const byId = await server.call<Release>('GET', `/apps/rel/releases/${byVersion.body.id}`)
    assert.deepEqual(byId.body, byVersion.body)
    for (const missing of ['99', '0', '-1', 'latest', crypto.randomUUID()]) {
      const response = await server.call('GET', `/apps/rel/releases/${missing}`)
      assert.equal(response.status, 404, missing)
      assert.deepEqual(response.body, RELEASE_NOT_FOUND)
    }
  })

  it('follows the process types of the current release in the formation', async () => {
    const formation = await server.call<Formation[]>('GET', '/apps/rel/formation')
    assert.deepEqual(formation.body.map((f) => [f.type, f.command]), [['web', 'node v2.js']])
  })

  it('rolls back by id: a new release "Rollback to v3" with v3\'s code and config', async () => {
    const target = (await server.call<Release>('GET', '/apps/rel/releases/3')).body
    const response = await server.call<Release>('POST', '/apps/rel/releases', {body: {release: target.id}})
    assert.equal(response.status, 201)
    assertSchema('release', response.body)
    assert.equal(response.body.version, 6)
    assert.equal(response.body.description, 'Rollback to v3')
    assert.equal(response.body.current, true)
    assert.deepEqual(response.body.slug, target.slug)
    assert.deepEqual((await server.call('GET', '/apps/rel/config-vars')).body, {STAGE: 'one'})
    const formation = await server.call<Formation[]>('GET', '/apps/rel/formation')
    assert.deepEqual(formation.body.map((f) => [f.type, f.command, f.quantity]).sort(), [
      ['web', 'node v1.js', 1],
      ['worker', 'node w.js', 0],
    ])
    const previous = await server.call<Release>('GET', '/apps/rel/releases/5')
    assert.equal(previous.body.current, false)
  })

  it('rolls back by version too', async () => {
    const response = await server.call<Release>('POST', '/apps/rel/releases', {body: {release: '4'}})
    assert.equal(response.status, 201)
    assert.equal(response.body.description, 'Rollback to v4')
    assert.deepEqual((await server.call('GET', '/apps/rel/config-vars')).body, {STAGE: 'two'})
  })

  it('creates a release from a known slug, with a description', async () => {
    const v5 = (await server.call<Release>('GET', '/apps/rel/releases/5')).body
    const response = await server.call<Release>('POST', '/apps/rel/releases', {body: {slug: v5.slug?.id, description: 'Promote v2'}})
    assert.equal(response.status, 201)
    assertSchema('release', response.body)
    assert.equal(response.body.description, 'Promote v2')
    assert.deepEqual(response.body.slug, v5.slug)
    const formation = await server.call<Formation[]>('GET', '/apps/rel/formation')
    assert.deepEqual(formation.body.map((f) => [f.type, f.command]), [['web', 'node v2.js']])
  })

  it('rejects bad create and rollback requests, making no release', async () => {
    const count = async () => (await server.call<Release[]>('GET', '/apps/rel/releases')).body.length
    const before = await count()
    const missingSlug = await server.call('POST', '/apps/rel/releases', {body: {description: 'nothing'}})
    assert.equal(missingSlug.status, 422)
    assert.deepEqual(missingSlug.body, {id: 'invalid_params', message: 'slug is required to create a release (or release, to roll back).'})
    const badSlugType = await server.call('POST', '/apps/rel/releases', {body: {slug: 5}})
    assert.deepEqual(badSlugType.body, {id: 'invalid_params', message: 'slug must be a string.'})
    const unknownSlug = await server.call('POST', '/apps/rel/releases', {body: {slug: crypto.randomUUID()}})
    assert.equal(unknownSlug.status, 404)
    assert.deepEqual(unknownSlug.body, {id: 'not_found', message: "Couldn't find that slug.", resource: 'slug'})
    const unknownRelease = await server.call('POST', '/apps/rel/releases', {body: {release: crypto.randomUUID()}})
    assert.equal(unknownRelease.status, 404)
    assert.deepEqual(unknownRelease.body, RELEASE_NOT_FOUND)
    const badRelease = await server.call('POST', '/apps/rel/releases', {body: {release: {id: 'x'}}})
    assert.equal(badRelease.status, 422)
    assert.deepEqual(badRelease.body, {id: 'invalid_params', message: 'release must be the id or the version of the release to roll back to.'})
    assert.equal(await count(), before)
  })
})
