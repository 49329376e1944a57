import assert from 'node:assert/strict'
import {describe, it} from 'mocha'
import {planFormationUpdates, requestedQuantity, requestedSize} from '../../../src/server/domain/formation-update.js'
import {DomainError} from '../../../src/server/domain/errors.js'
import type {FormationRecord} from '../../../src/server/store/index.js'

const entry = (type: string, quantity: number, size = 'Standard-1X'): FormationRecord => ({
  id: `id-${type}`, app_id: 'app', type, command: `${type}-cmd`, quantity, size, created_at: 't', updated_at: 't',
})

function fails(fn: () => unknown, status: number, id: string, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DomainError)
    assert.equal(e.httpStatus, status)
    assert.equal(e.id, id)
    if (typeof message === 'string') assert.equal(e.message, message)
    else assert.match(e.message, message)
    return true
  })
}

describe('formation updates (pure)', () => {
  it('reads quantities as numbers, numeric strings and relative changes', () => {
    assert.equal(requestedQuantity(3, 1, 'web'), 3)
    assert.equal(requestedQuantity('3', 1, 'web'), 3)
    assert.equal(requestedQuantity(' 3 ', 1, 'web'), 3)
    assert.equal(requestedQuantity('+2', 1, 'web'), 3)
    assert.equal(requestedQuantity('-1', 1, 'web'), 0)
    assert.equal(requestedQuantity('0', 4, 'web'), 0)
    assert.equal(requestedQuantity(undefined, 4, 'web'), undefined)
    assert.equal(requestedQuantity(null, 4, 'web'), undefined)
    fails(() => requestedQuantity('-2', 1, 'web'), 422, 'invalid_params', 'Quantity of web cannot be negative (it would be -1).')
    fails(() => requestedQuantity('1e3', 1, 'web'), 422, 'invalid_params', /^Invalid quantity: "1e3"/)
    fails(() => requestedQuantity('', 1, 'web'), 422, 'invalid_params', /^Invalid quantity: ""/)
    fails(() => requestedQuantity(Number.NaN, 1, 'web'), 422, 'invalid_params', /^Invalid quantity: NaN/)
  })

  it('reads sizes from size or dyno_size, case-insensitively, canonical names out', () => {
    assert.equal(requestedSize({size: 'performance-l-ram'}), 'Performance-L-RAM')
    assert.equal(requestedSize({dyno_size: {name: 'ECO'}}), 'Eco')
    assert.equal(requestedSize({dyno_size: {id: '151c6525-abe9-4f79-b9bd-ba23e9ee83d3'}}), 'Standard-2X')
    assert.equal(requestedSize({dyno_size: {name: 'Basic'}, size: 'Eco'}), 'Basic', 'dyno_size wins')
    assert.equal(requestedSize({}), undefined)
    fails(() => requestedSize({size: 'Hobby'}), 422, 'invalid_params', /^No such size as Hobby\. Available dyno sizes are Eco, Basic,/)
  })

  it('applies updates in order on a copy and answers the touched entries', () => {
    const plan = planFormationUpdates([entry('web', 1), entry('worker', 0)], [
      {type: 'worker', quantity: '+1'},
      {type: 'worker', quantity: '+1'},
      {type: 'web', size: 'standard-2x'},
    ])
    assert.deepEqual(plan.map((p) => [p.entry.type, p.quantity, p.size]), [
      ['worker', 2, 'Standard-1X'],
      ['web', 1, 'Standard-2X'],
    ])
  })

  it('checks limits on the whole resulting formation', () => {
    fails(() => planFormationUpdates([entry('web', 50), entry('worker', 50)], [{type: 'web', quantity: '+1'}]), 422, 'cannot_run_above_limit', 'Cannot run more than 100 dynos per app.')
    fails(() => planFormationUpdates([entry('web', 1, 'Eco'), entry('worker', 0)], [{type: 'worker', quantity: 1}]), 422, 'invalid_params', 'Cannot use the following dyno types in the same app: Eco and Standard-1X')
    assert.equal(planFormationUpdates([entry('web', 1, 'Eco'), entry('worker', 0)], [{type: 'worker', quantity: 1, size: 'eco'}]).length, 1)
  })
})
