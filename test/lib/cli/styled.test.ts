import assert from 'node:assert/strict'

import {columns, header, styledObject} from '../../../src/lib/cli/styled.js'

describe('cli/styled', () => {
  it('writes headers and aligned key/value blocks', () => {
    assert.equal(header('shop'), '=== shop')
    assert.deepEqual(styledObject([['A', '1'], ['LONGER', '2'], ['EMPTY', '']]), ['A:      1', 'LONGER: 2', 'EMPTY:'])
  })

  it('pads columns with two spaces and no trailing blanks', () => {
    assert.deepEqual(columns([['v10', 'Deploy', 'x'], ['v9', 'Set FOO config vars', 'y']]), ['v10  Deploy               x', 'v9   Set FOO config vars  y'])
  })
})
