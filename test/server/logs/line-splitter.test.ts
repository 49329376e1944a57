import assert from 'node:assert/strict'

import {CONTINUATION_MARKER} from '../../../src/server/logs/format.js'
import {LineSplitter} from '../../../src/server/logs/line-splitter.js'

describe('logs/line-splitter', () => {
  it('emits whole lines and keeps the partial one for the next chunk', () => {
    const splitter = new LineSplitter()
    assert.deepEqual(splitter.push('a\nb'), ['a'])
    assert.deepEqual(splitter.push('c'), [])
    assert.deepEqual(splitter.push('\n\nd\n'), ['bc', '', 'd'])
    assert.deepEqual(splitter.end(), [])
  })

  it('keeps a character whose bytes arrive in different chunks', () => {
    const splitter = new LineSplitter()
    const bytes = Buffer.from('😀 ok\n')
    assert.deepEqual(splitter.push(bytes.subarray(0, 1)), [])
    assert.deepEqual(splitter.push(bytes.subarray(1, 3)), [])
    assert.deepEqual(splitter.push(bytes.subarray(3)), ['😀 ok'])
  })

  it('turns invalid UTF-8 into U+FFFD', () => {
    const splitter = new LineSplitter()
    assert.deepEqual(splitter.push(Uint8Array.from([0x61, 0xc3, 0x28, 0x0a, 0xff, 0x0a])), ['a\uFFFD(', '\uFFFD'])
  })

  it('gives the unfinished last line at the end', () => {
    const splitter = new LineSplitter()
    splitter.push('no newline')
    assert.deepEqual(splitter.end(), ['no newline'])
    assert.deepEqual(splitter.end(), [])
  })

  it('cuts a line that outgrows its limit between characters, marking the rest', () => {
    const splitter = new LineSplitter(10)
    assert.deepEqual(splitter.push('123456789é'), ['123456789'])
    assert.deepEqual(splitter.push('abcdefghij'), [`${CONTINUATION_MARKER}éabcdefgh`])
    assert.deepEqual(splitter.push('\n'), [`${CONTINUATION_MARKER}ij`])
    assert.deepEqual(splitter.push('next\n'), ['next'])
  })

  it('does not hold on to the caller\'s chunk', () => {
    const splitter = new LineSplitter()
    const chunk = Buffer.from('line\npartial')
    splitter.push(chunk)
    chunk.fill(0x78)
    assert.deepEqual(splitter.end(), ['partial'])
  })
})
