import assert from 'node:assert/strict'

import {table, terminalTable} from '../../../src/lib/cli/table.js'

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

describe('cli/table without cli-table3', () => {
  it('lays out printable ASCII exactly as cli-table3 does', () => {
    let seed = 19
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed % n
    }
    const cell = (): string => Array.from({length: random(12)}, () => String.fromCharCode(32 + random(95))).join('')
    for (let i = 0; i < 300; i++) {
      const columns = 1 + random(5)
      const rows = Array.from({length: 1 + random(6)}, () => Array.from({length: columns}, cell))
      assert.deepEqual(table(rows), terminalTable(rows), JSON.stringify(rows))
    }
  })

  it('hands wide characters, control characters and uneven rows to cli-table3', () => {
    for (const rows of [[['日本', 'x'], ['ab', 'y']], [['a\tb', 'x'], ['c', 'y']], [['a', 'b', 'c'], ['d']]]) {
      assert.deepEqual(table(rows), terminalTable(rows))
    }
    assert.deepEqual(table([['日本', 'x'], ['ab', 'y']]), ['日本  x', 'ab    y'])
  })
})
