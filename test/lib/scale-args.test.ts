import assert from 'node:assert/strict'

import {UsageError} from '../../src/lib/errors.js'
import {parseScaleArgs} from '../../src/lib/scale-args.js'

function usageMessage(args: string[]): string {
  try {
    parseScaleArgs(args)
  } catch (error) {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${String(error)}`)
    return error.message
  }
  assert.fail(`expected ${JSON.stringify(args)} to be rejected`)
}

const FORMS = 'Use TYPE=QTY, TYPE=QTY:SIZE, TYPE+N or TYPE-N (for example web=2, web=2:Standard-2X, worker+1, clock-1).'

describe('parseScaleArgs', () => {
  it('accepts absolute, sized and relative quantities, in order', () => {
    assert.deepEqual(parseScaleArgs(['web=2', 'worker+1', 'clock-1', 'api=3:Standard-2X']), [
      {type: 'web', quantity: '2'},
      {type: 'worker', quantity: '+1'},
      {type: 'clock', quantity: '-1'},
      {type: 'api', quantity: '3', size: 'Standard-2X'},
    ])
  })

  it('returns an empty list for no arguments', () => {
    assert.deepEqual(parseScaleArgs([]), [])
  })

  it('keeps sizes as typed for the server to canonicalise', () => {
    assert.deepEqual(parseScaleArgs(['web=1:standard-2x', 'worker=0:performance-l-ram']), [
      {type: 'web', quantity: '1', size: 'standard-2x'},
      {type: 'worker', quantity: '0', size: 'performance-l-ram'},
    ])
  })

  it('accepts a size with a relative change, as Heroku does', () => {
    assert.deepEqual(parseScaleArgs(['web+2:Performance-M']), [{type: 'web', quantity: '+2', size: 'Performance-M'}])
  })

  it('accepts zero and strips leading zeros', () => {
    assert.deepEqual(parseScaleArgs(['web=0', 'worker=007', 'clock+00']), [
      {type: 'web', quantity: '0'},
      {type: 'worker', quantity: '7'},
      {type: 'clock', quantity: '+0'},
    ])
  })

  it('reads type names with dashes, underscores and digits; the last operator is the change', () => {
    assert.deepEqual(parseScaleArgs(['my-worker-2', 'job_runner2+1', 'web-1=3', 'a-b-c+10']), [
      {type: 'my-worker', quantity: '-2'},
      {type: 'job_runner2', quantity: '+1'},
      {type: 'web-1', quantity: '3'},
      {type: 'a-b-c', quantity: '+10'},
    ])
  })

  it('accepts a 128-character type name and the maximum quantity', () => {
    const name = 'a'.repeat(128)
    assert.deepEqual(parseScaleArgs([`${name}=10000`]), [{type: name, quantity: '10000'}])
  })

  const rejected: Array<[string, string]> = [
    ['web=abc', '"abc" is not a whole number'],
    ['=2', 'the process type is missing'],
    ['+1', 'the process type is missing'],
    ['web=-1', 'the quantity cannot be negative (use TYPE-N to scale down by N)'],
    ['web=+1', 'use TYPE+N, without "=", to scale up by N'],
    ['web=2:', 'the size is missing after ":"'],
    ['web+2:', 'the size is missing after ":"'],
    ['web', 'no quantity is given'],
    ['my-worker', 'no quantity is given'],
    ['web=', 'the quantity is missing'],
    ['web+', 'the quantity is missing'],
    ['web=:Standard-1X', 'the quantity is missing before the size'],
    ['web=1.5', '"1.5" is not a whole number'],
    ['web+1.5', '"1.5" is not a whole number'],
    ['web=1:Standard 2X', '"Standard 2X" is not a dyno size name'],
    ['web=1:a:b', '"a:b" is not a dyno size name'],
    ['wéb=1', '"wéb" is not a valid process type'],
    ['wéb+1', '"wéb" is not a valid process type'],
    ['web 1=2', '"web 1" is not a valid process type'],
    ['', 'it is empty'],
  ]
  for (const [arg, reason] of rejected) {
    it(`rejects ${JSON.stringify(arg)}: ${reason}`, () => {
      assert.equal(usageMessage([arg]), `Invalid scale argument "${arg}": ${reason}. ${FORMS}`)
    })
  }

  it('names the bad argument even when others are fine', () => {
    assert.equal(usageMessage(['web=2', 'worker=x', 'clock=1']), `Invalid scale argument "worker=x": "x" is not a whole number. ${FORMS}`)
  })

  it('rejects a type name over 128 characters', () => {
    const arg = `${'w'.repeat(129)}=1`
    assert.equal(usageMessage([arg]), `Invalid scale argument "${arg}": the process type must be 1 to 128 letters, digits, "_" or "-". ${FORMS}`)
  })

  it('rejects absurd quantities, absolute or relative, and says so', () => {
    assert.equal(usageMessage(['web=10001']), `Invalid scale argument "web=10001": 10001 dynos is absurdly many (at most 10000). ${FORMS}`)
    assert.equal(
      usageMessage(['worker+99999999999999999999']),
      `Invalid scale argument "worker+99999999999999999999": 99999999999999999999 dynos is absurdly many (at most 10000). ${FORMS}`,
    )
    assert.equal(usageMessage(['web-000020000']), `Invalid scale argument "web-000020000": 20000 dynos is absurdly many (at most 10000). ${FORMS}`)
  })

  it('rejects a type given twice, naming both arguments', () => {
    assert.equal(usageMessage(['web=2', 'worker=1', 'web+1']), 'Process type "web" is given twice ("web=2" and "web+1"). Give each type once.')
  })

  it('treats type names as case-sensitive, like the API', () => {
    assert.deepEqual(parseScaleArgs(['web=1', 'Web=2']), [
      {type: 'web', quantity: '1'},
      {type: 'Web', quantity: '2'},
    ])
  })
})
