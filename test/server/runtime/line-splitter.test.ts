import assert from 'node:assert/strict'

import {LineSplitter} from '../../../src/server/runtime/local-backend.js'

function split(chunks: Array<Buffer | string>, maxLength?: number): string[] {
  const lines: string[] = []
  const splitter = new LineSplitter((line) => lines.push(line), maxLength)
  for (const chunk of chunks) splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  splitter.end()
  return lines
}

describe('line splitter', () => {
  it('splits on \\n and \\r\\n and keeps empty lines', () => {
    assert.deepEqual(split(['a\nb\r\n\nc\n']), ['a', 'b', '', 'c'])
  })

  it('joins a line written in several chunks', () => {
    assert.deepEqual(split(['hel', 'lo wo', 'rld\nnext', '\n']), ['hello world', 'next'])
  })

  it('gives a line of exactly the limit as one line, whether its newline comes with it or later', () => {
    assert.deepEqual(split(['abcd\n'], 4), ['abcd'])
    assert.deepEqual(split(['abcd', '\n'], 4), ['abcd'])
    assert.deepEqual(split(['abcd', 'ef\n'], 4), ['abcd', 'ef'])
  })

  it('emits a last line without a newline at the end', () => {
    assert.deepEqual(split(['one\ntwo']), ['one', 'two'])
    assert.deepEqual(split(['one\n']), ['one'])
    assert.deepEqual(split([]), [])
  })

  it('decodes a UTF-8 character cut between chunks', () => {
    const bytes = Buffer.from('größe €\n')
    assert.deepEqual(split([bytes.subarray(0, 3), bytes.subarray(3, 8), bytes.subarray(8)]), ['größe €'])
  })

  it('replaces invalid UTF-8 with U+FFFD', () => {
    assert.deepEqual(split([Buffer.from([0x61, 0xff, 0x62, 0x0a, 0xc3])]), ['a\uFFFDb', '\uFFFD'])
  })

  it('cuts a very long line into pieces instead of buffering it', () => {
    const lines: string[] = []
    const splitter = new LineSplitter((line) => lines.push(line), 4)
    splitter.push(Buffer.from('abcdefghij'))
    // Emitted before any newline arrives: nothing grows without bound.
    assert.deepEqual(lines, ['abcd', 'efgh'])
    splitter.push(Buffer.from('k\nxyz'))
    splitter.end()
    assert.deepEqual(lines, ['abcd', 'efgh', 'ijk', 'xyz'])
    assert.deepEqual(split(['0123456789\n'], 4), ['0123', '4567', '89'])
  })

  it('never cuts a surrogate pair in two', () => {
    assert.deepEqual(split(['ab😀cd\n'], 3), ['ab', '😀c', 'd'])
  })
})
