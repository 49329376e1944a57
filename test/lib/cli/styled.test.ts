import assert from 'node:assert/strict'

import {header, styledObject} from '../../../src/lib/cli/styled.js'

describe('cli/styled', () => {
  it('writes headers and aligned key/value blocks', () => {
    assert.equal(header('shop'), '=== shop')
    assert.deepEqual(styledObject([['A', '1'], ['LONGER', '2'], ['EMPTY', '']]), ['A:      1', 'LONGER: 2', 'EMPTY:'])
  })
})
