// The schema check must be able to fail, or the API tests that rely on it prove nothing.
import assert from 'node:assert/strict'
import {describe, it} from 'mocha'
import {assertErrorBody, assertResponseSchema, assertSchema, responseDefinition} from '../helpers/schema.js'

const release = {
  addon_plan_names: [],
  artifacts: [],
  app: {id: '01234567-89ab-cdef-0123-456789abcdef', name: 'example'},
  created_at: '2012-01-01T12:00:00Z',
  description: 'Initial release',
  id: '01234567-89ab-cdef-0123-456789abcdef',
  updated_at: '2012-01-01T12:00:00Z',
  slug: null,
  status: 'succeeded',
  user: {id: '01234567-89ab-cdef-0123-456789abcdef', email: 'a@example.com'},
  version: 1,
  current: true,
  output_stream_url: null,
  eligible_for_rollback: true,
}

describe('schema helper', () => {
  it('accepts a valid body, extra fields allowed', () => {
    assertSchema('release', release)
    assertSchema('release', {...release, extra: 'fine'})
  })

  it('rejects a missing property, a wrong type, a bad format or enum', () => {
    const {current: _current, ...missing} = release
    assert.throws(() => assertSchema('release', missing), /release\.current is missing/)
    assert.throws(() => assertSchema('release', {...release, version: '1'}), /does not match the schema/)
    assert.throws(() => assertSchema('release', {...release, created_at: 'yesterday'}), /does not match the schema/)
    assert.throws(() => assertSchema('release', {...release, status: 'done'}), /does not match the schema/)
    assert.throws(() => assertSchema('release', {...release, user: {id: release.id}}), /release\.user\.email is missing/)
  })

  it('maps routes to definitions and checks action bodies are {}', () => {
    assert.equal(responseDefinition('GET', '/apps/x/formation/web'), 'formation')
    assert.equal(responseDefinition('PATCH', '/apps/x/formation'), '[formation]')
    assert.equal(responseDefinition('GET', '/apps/x/sources'), undefined)
    assert.throws(() => assertResponseSchema('DELETE', '/apps/x/dynos', {ok: true}))
    assert.throws(() => assertResponseSchema('GET', '/apps/x/config-vars', {A: 1}))
  })

  it('checks error bodies', () => {
    assertErrorBody({id: 'not_found', message: 'x', resource: 'app'}, 'ok')
    assert.throws(() => assertErrorBody({error: 'x'}, 'legacy only'))
    assert.throws(() => assertErrorBody('oops', 'text'))
  })
})
