import assert from 'node:assert/strict'

import {formatConfig, formatShell, parseConfigArgs, shellQuote, unsetBody} from '../../../src/lib/config/format.js'
import {UsageError} from '../../../src/lib/errors.js'

describe('config/format', () => {
  it('aligns KEY: value lines sorted by key', () => {
    assert.deepEqual(formatConfig({FOO: 'bar', DATABASE_URL: 'postgres://x'}), ['DATABASE_URL: postgres://x', 'FOO:          bar'])
  })

  it('quotes for a POSIX shell only when needed', () => {
    assert.equal(shellQuote('plain-value_1.2:3/4'), 'plain-value_1.2:3/4')
    assert.equal(shellQuote('hello world'), "'hello world'")
    assert.equal(shellQuote("it's"), `'it'\\''s'`)
    assert.equal(shellQuote(''), "''")
    assert.equal(shellQuote('$HOME'), "'$HOME'")
    assert.deepEqual(formatShell({B: 'x y', A: '1'}), ['A=1', "B='x y'"])
  })

  it('parses KEY=VALUE arguments, keeping = in values', () => {
    assert.deepEqual(parseConfigArgs(['FOO=bar', 'URL=a=b', 'EMPTY=']), {FOO: 'bar', URL: 'a=b', EMPTY: ''})
    // __proto__ is a name like any other: it reaches the request body rather than vanishing.
    assert.equal(JSON.stringify(parseConfigArgs(['__proto__=x', 'A=1'])), '{"__proto__":"x","A":"1"}')
    assert.equal(JSON.stringify(unsetBody(['__proto__', 'A'])), '{"__proto__":null,"A":null}')
  })

  it('rejects arguments without a key or =, and no arguments', () => {
    assert.throws(() => parseConfigArgs(['FOO']), (e: unknown) => e instanceof UsageError && /FOO is invalid/.test(e.message))
    assert.throws(() => parseConfigArgs(['=bar']), UsageError)
    assert.throws(() => parseConfigArgs(['BAD-KEY=1']), /not a valid config var name/)
    assert.throws(() => parseConfigArgs([]), /No config vars given/)
  })

  it('builds an unset body of nulls', () => {
    assert.deepEqual(unsetBody(['A', 'B']), {A: null, B: null})
    assert.throws(() => unsetBody([]), UsageError)
  })
})
