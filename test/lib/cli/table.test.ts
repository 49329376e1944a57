import assert from 'node:assert/strict'

import {table} from '../../../src/lib/cli/table.js'

describe('cli/table', () => {
  it('pads columns with two spaces and no trailing blanks', () => {
    assert.deepEqual(table([['v10', 'Deploy', 'x'], ['v9', 'Set FOO config vars', 'y']]), ['v10  Deploy               x', 'v9   Set FOO config vars  y'])
  })

  it('keeps empty cells in their column and prints nothing for no rows', () => {
    assert.deepEqual(table([['ID', 'Description', 'Last used'], ['t1', '', 'never'], ['t2', 'ci', '']]), ['ID  Description  Last used', 't1               never', 't2  ci'])
    assert.deepEqual(table([]), [])
  })

  it('aligns by what a terminal shows: colour codes take no room', () => {
    const red = '\u001B[31mcrashed\u001B[39m'
    assert.deepEqual(table([[red, 'web.1'], ['up', 'web.2']]), [`${red}  web.1`, 'up       web.2'])
  })
})
