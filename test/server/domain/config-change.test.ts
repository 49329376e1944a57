import assert from 'node:assert/strict'
import {describe, it} from 'mocha'
import {envValueProblem, MAX_CONFIG_BYTES, planConfigChange} from '../../../src/server/domain/config-change.js'
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

  it('refuses values a process environment cannot carry: NUL, lone surrogates', () => {
    assert.equal(envValueProblem('x\u0000'), 'contains a NUL byte')
    assert.equal(envValueProblem('\ud800'), 'is not valid UTF-8 (a lone surrogate)')
    assert.equal(envValueProblem('\udc00x'), 'is not valid UTF-8 (a lone surrogate)')
    assert.equal(envValueProblem('😀 über'), undefined, 'a surrogate pair is a character')
    for (const patch of [{A: 'x\u0000'}, {A: '\ud83d'}]) {
      assert.throws(() => planConfigChange({}, patch), (e: unknown) => e instanceof DomainError && e.httpStatus === 422, JSON.stringify(patch))
    }
  })

  it('caps names and values together at 32 KB, in UTF-8 bytes; an app above it may still shrink', () => {
    assert.equal(MAX_CONFIG_BYTES, 32_768)
    assert.doesNotThrow(() => planConfigChange({}, {AB: 'x'.repeat(MAX_CONFIG_BYTES - 2)}))
    assert.throws(() => planConfigChange({}, {AB: 'x'.repeat(MAX_CONFIG_BYTES - 1)}), /would be 32769 bytes/)
    // ü is two bytes.
    assert.throws(() => planConfigChange({}, {AB: 'ü'.repeat(MAX_CONFIG_BYTES / 2)}), /would be 32770 bytes/)
    const legacy = {BIG: 'x'.repeat(40_000), SMALL: 'y'}
    assert.deepEqual(planConfigChange(legacy, {SMALL: null}).removed, ['SMALL'])
    assert.deepEqual(planConfigChange(legacy, {BIG: 'short'}).set, ['BIG'])
    assert.throws(() => planConfigChange(legacy, {MORE: 'z'}), /the limit is 32768 bytes/)
  })
})
