import assert from 'node:assert/strict'

import {parseEnvFlag} from '../../src/lib/env-args.js'
import {UsageError} from '../../src/lib/errors.js'

const FORM = 'Use --env "KEY=VALUE;KEY2=VALUE2" (keys are letters, digits and "_").'

function usageMessage(value: string): string {
  try {
    parseEnvFlag(value)
  } catch (error) {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${String(error)}`)
    return error.message
  }
  assert.fail(`expected ${JSON.stringify(value)} to be rejected`)
}

describe('parseEnvFlag', () => {
  it('reads pairs separated by ";"', () => {
    assert.deepEqual(parseEnvFlag('K=V;K2=V2'), {K: 'V', K2: 'V2'})
  })

  it('keeps "=" inside values, splitting on the first one', () => {
    assert.deepEqual(parseEnvFlag('DATABASE_URL=postgres://u:p@h/db?sslmode=require;B64=YWJj=='), {
      DATABASE_URL: 'postgres://u:p@h/db?sslmode=require',
      B64: 'YWJj==',
    })
  })

  it('ignores empty and blank segments', () => {
    assert.deepEqual(parseEnvFlag(';A=1;;  ;B=2;'), {A: '1', B: '2'})
    assert.deepEqual(parseEnvFlag(''), {})
    assert.deepEqual(parseEnvFlag(' ; '), {})
  })

  it('trims whitespace around keys and keeps values as typed', () => {
    assert.deepEqual(parseEnvFlag(' A =1; B= two words ;\tC_3\t=x'), {A: '1', B: ' two words ', C_3: 'x'})
  })

  it('accepts empty values', () => {
    assert.deepEqual(parseEnvFlag('EMPTY='), {EMPTY: ''})
  })

  it('keeps a key named __proto__ as plain data', () => {
    const env = parseEnvFlag('__proto__=x;A=1')
    assert.deepEqual(Object.keys(env), ['__proto__', 'A'])
    assert.equal(env['__proto__'], 'x')
    assert.equal(Object.getPrototypeOf(env), Object.prototype)
  })

  it('rejects a pair without "="', () => {
    assert.equal(usageMessage('A=1;NOVALUE'), `Invalid --env pair "NOVALUE": there is no "=". ${FORM}`)
  })

  it('rejects a missing key', () => {
    assert.equal(usageMessage('=1'), `Invalid --env pair "=1": the key is missing. ${FORM}`)
    assert.equal(usageMessage('  =1'), `Invalid --env pair "  =1": the key is missing. ${FORM}`)
  })

  it('rejects keys outside ^\\w+$', () => {
    assert.equal(usageMessage('MY-KEY=1'), `Invalid --env pair "MY-KEY=1": "MY-KEY" is not a valid key. ${FORM}`)
    assert.equal(usageMessage('A B=1'), `Invalid --env pair "A B=1": "A B" is not a valid key. ${FORM}`)
    assert.equal(usageMessage('A.B=1'), `Invalid --env pair "A.B=1": "A.B" is not a valid key. ${FORM}`)
    assert.equal(usageMessage('CAFÉ=1'), `Invalid --env pair "CAFÉ=1": "CAFÉ" is not a valid key. ${FORM}`)
  })

  it('rejects a NUL byte in a value', () => {
    assert.equal(usageMessage('A=x\0y'), `Invalid --env pair "A=x\\0y": the value contains a NUL byte. ${FORM}`)
  })

  it('rejects a key given twice', () => {
    assert.equal(usageMessage('A=1;B=2; A=3'), `Invalid --env: "A" is given twice. ${FORM}`)
  })
})
