import assert from 'node:assert/strict'

import {LineSplitter} from '../../src/shared/line-splitter.js'

function split(chunks: Array<Buffer | string>, maxLength?: number): string[] {
  const lines: string[] = []
  const splitter = new LineSplitter((line) => lines.push(line), maxLength)
  for (const chunk of chunks) splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  splitter.end()
  return lines
}

/** A splitter whose lines are read after each step, as the CLI's log stream reads them. */
function stepwise(maxLength?: number): {push(chunk: Uint8Array | string): string[]; end(): string[]} {
  let lines: string[] = []
  const splitter = new LineSplitter((line) => lines.push(line), maxLength)
  const taken = (): string[] => {
    const out = lines
    lines = []
    return out
  }
  return {
    push: (chunk) => (splitter.push(chunk), taken()),
    end: () => (splitter.end(), taken()),
  }
}

describe('shared/line-splitter', () => {
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
    // A `\r` left at the end is the first half of a `\r\n` (as the CLI read it).
    assert.deepEqual(split(['one\r']), ['one'])
    assert.deepEqual(split(['one\n\r']), ['one'])
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

  // From the log router's former splitter (its writer() is gone; dyno output reaches the router
  // through this one).
  it('emits whole lines and keeps the partial one for the next chunk', () => {
    const splitter = stepwise()
    assert.deepEqual(splitter.push('a\nb'), ['a'])
    assert.deepEqual(splitter.push('c'), [])
    assert.deepEqual(splitter.push('\n\nd\n'), ['bc', '', 'd'])
    assert.deepEqual(splitter.end(), [])
  })

  it('keeps a character whose bytes arrive in different chunks', () => {
    const splitter = stepwise()
    const bytes = Buffer.from('😀 ok\n')
    assert.deepEqual(splitter.push(bytes.subarray(0, 1)), [])
    assert.deepEqual(splitter.push(bytes.subarray(1, 3)), [])
    assert.deepEqual(splitter.push(bytes.subarray(3)), ['😀 ok'])
  })

  it('turns invalid UTF-8 into U+FFFD, also in a Uint8Array', () => {
    const splitter = stepwise()
    assert.deepEqual(splitter.push(Uint8Array.from([0x61, 0xc3, 0x28, 0x0a, 0xff, 0x0a])), ['a\uFFFD(', '\uFFFD'])
  })

  it('gives the unfinished last line at the end, once', () => {
    const splitter = stepwise()
    splitter.push('no newline')
    assert.deepEqual(splitter.end(), ['no newline'])
    assert.deepEqual(splitter.end(), [])
  })

  it("does not hold on to the caller's chunk", () => {
    const splitter = stepwise()
    const chunk = Buffer.from('line\npartial')
    splitter.push(chunk)
    chunk.fill(0x78)
    assert.deepEqual(splitter.end(), ['partial'])
  })

  // From the CLI's former splitter (src/lib/api/stream.ts, plain-text log streams).
  it('takes decoded text: splits on LF, drops CR before it, and flushes a last line without a newline', () => {
    const splitter = stepwise()
    assert.deepEqual(splitter.push('one\r\ntw'), ['one'])
    assert.deepEqual(splitter.push('o\n\nthr'), ['two', ''])
    assert.deepEqual(splitter.end(), ['thr'])
    assert.deepEqual(splitter.end(), [])
  })

  it('keeps lines whole without a maximum length', () => {
    const long = 'x'.repeat(200_000)
    assert.deepEqual(split([`${long}\n`, long]), [long, long])
  })

  it('gives the same lines however the bytes are cut into chunks (random texts)', () => {
    // A small seeded generator: the same cases on every run.
    let seed = 42
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
      return seed % n
    }
    const alphabet = ['a', 'b', ' ', '\n', '\r', '\r\n', '\u00e9', '\u20ac', '\u{1F600}']
    for (let round = 0; round < 300; round++) {
      let text = ''
      for (let i = random(80); i > 0; i--) text += alphabet[random(alphabet.length)]
      const bytes = Buffer.from(text)
      const chunks: Buffer[] = []
      for (let at = 0; at < bytes.length; ) {
        const size = 1 + random(12)
        chunks.push(bytes.subarray(at, at + size))
        at += size
      }
      const expected = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
      if (expected.at(-1) === '') expected.pop()
      assert.deepEqual(split(chunks), expected, JSON.stringify(text))
    }
  })

  describe('batched', () => {
    const inputs: Array<[string, Array<Buffer | string>, number | undefined]> = [
      ['lines and CRLF', ['a\nb\r\n\nc\n'], undefined],
      ['a line across chunks', ['hel', 'lo wo', 'rld\nnext', '\n'], undefined],
      ['long lines cut', ['abcdefghij\nkl', 'mnopqrstuvwxyz', '\n'], 4],
      ['a last line without newline', ['one\ntwo'], undefined],
      ['UTF-8 split across chunks', [Buffer.from([0x61, 0xe2, 0x82]), Buffer.from([0xac, 0x0a])], undefined],
    ]
    for (const [what, chunks, maxLength] of inputs) {
      it(`gives the same lines as line by line: ${what}`, () => {
        const batches: string[][] = []
        const splitter = LineSplitter.batched((lines) => batches.push(lines), maxLength)
        for (const chunk of chunks) splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
        splitter.end()
        assert.deepEqual(batches.flat(), split(chunks, maxLength))
        assert.ok(batches.every((batch) => batch.length > 0))
      })
    }

    it('gives one array per push that completed lines, and the last line at end', () => {
      const batches: string[][] = []
      const splitter = LineSplitter.batched((lines) => batches.push(lines))
      splitter.push('a\nb\nc')
      splitter.push('d')
      splitter.push('\ne\n')
      splitter.push('f')
      splitter.end()
      assert.deepEqual(batches, [['a', 'b'], ['cd', 'e'], ['f']])
    })
  })
})
