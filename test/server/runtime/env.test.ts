import assert from 'node:assert/strict'

import {msFromEnv} from '../../../src/server/runtime/env.js'

describe('runtime/env', () => {
  it('reads milliseconds: a finite number >= 0, nothing else', () => {
    const env = {ZERO: '0', GRACE: '2500', HALF: '0.5', EMPTY: '', NEGATIVE: '-1', WORD: 'soon', INFINITE: 'Infinity'}
    assert.equal(msFromEnv('ZERO', env), 0)
    assert.equal(msFromEnv('GRACE', env), 2500)
    assert.equal(msFromEnv('HALF', env), 0.5)
    for (const name of ['UNSET', 'EMPTY', 'NEGATIVE', 'WORD', 'INFINITE']) assert.equal(msFromEnv(name, env), undefined, name)
  })
})
