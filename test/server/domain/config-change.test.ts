import assert from 'node:assert/strict'
import {describe, it} from 'mocha'
import {planConfigChange} from '../../../src/server/domain/config-change.js'
import {DomainError} from '../../../src/server/domain/errors.js'

describe('config changes (pure)', () => {
  it('sets, unsets and describes the change as Heroku does', () => {
    assert.deepEqual(planConfigChange({A: '1'}, {B: '2', C: '3'}), {vars: {A: '1', B: '2', C: '3'}, set: ['B', 'C'], removed: [], description: 'Set B, C config vars'})
    assert.deepEqual(planConfigChange({A: '1', B: '2'}, {A: null}), {vars: {B: '2'}, set: [], removed: ['A'], description: 'Remove A config vars'})
  })

  it('describes nothing when nothing changes (no release)', () => {
    assert.equal(planConfigChange({A: '1'}, {A: '1', Z: null}).description, undefined)
    assert.equal(planConfigChange({}, {}).description, undefined)
  })

  it('rejects keys outside ^\\w+$ (so `=` and NUL) and non-string values before changing anything', () => {
    for (const patch of [{'A=B': '1'}, {'A\u0000': '1'}, {'A B': '1'}, {A: 1}, {A: false}, {A: ['x']}, null, [], 'A=1']) {
      assert.throws(() => planConfigChange({}, patch), (e: unknown) => e instanceof DomainError && e.httpStatus === 422 && e.id === 'invalid_params', JSON.stringify(patch))
    }
  })
})
