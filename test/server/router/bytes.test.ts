// Header lines as offsets (bytes.ts): written as `name: value\r\n`, the value trimmed, whether
// taken as slices of a string or copied as byte ranges, whichever lines are left out, against
// the plain rebuild of each line.
import assert from 'node:assert/strict'
import {describe, it} from 'mocha'
import {FIELDS, fieldsLength, fieldsString, putFields} from '../../../src/server/router/bytes.js'
import {seededRandom} from './fixtures.js'

/** `text`'s header lines (after its first line) as offsets, trimmed of SP and HTAB. */
function offsets(text: string): number[] {
  const fields: number[] = []
  let at = text.indexOf('\r\n') + 2
  while (at < text.length) {
    const end = text.indexOf('\r\n', at)
    const colon = text.indexOf(':', at)
    let vs = colon + 1
    let ve = end
    while (vs < ve && (text[vs] === ' ' || text[vs] === '\t')) vs++
    while (ve > vs && (text[ve - 1] === ' ' || text[ve - 1] === '\t')) ve--
    fields.push(at, colon, vs, ve, end)
    at = end + 2
  }
  return fields
}

function rebuilt(text: string, fields: number[], keep: (l: number) => boolean): string {
  let out = ''
  for (let l = 0; l < fields.length / FIELDS; l++) {
    if (!keep(l)) continue
    const [at, colon, vs, ve] = fields.slice(l * FIELDS, l * FIELDS + 4) as [number, number, number, number]
    out += `${text.slice(at, colon)}: ${text.slice(vs, ve)}\r\n`
  }
  return out
}

describe('router: header lines as offsets', () => {
  it('writes every line as `name: value`, runs of such lines as they came, others rebuilt, over 2,000 random heads', () => {
    const random = seededRandom(11)
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
    const lines = ['A: 1', 'Bb: two words', 'C:3', 'D:  4 ', 'E:\t5\t', 'F:', 'G: ', 'H:   ', 'X-Long: ' + 'v'.repeat(100), 'I: \xe9']
    for (let n = 0; n < 2000; n++) {
      const text = `GET / HTTP/1.1\r\n${Array.from({length: Math.floor(random() * 8)}, () => `${pick(lines)}\r\n`).join('')}`
      const fields = offsets(text)
      const count = fields.length / FIELDS
      const marks = Uint8Array.from({length: count}, () => (random() < 0.3 ? 1 : 0))
      const context = JSON.stringify({text, marks: [...marks]})
      assert.equal(fieldsString(text, fields, count), rebuilt(text, fields, () => true), context)
      const source = Buffer.from(text, 'latin1')
      const out = Buffer.alloc(fieldsLength(fields, count, marks, 1) + 3)
      const end = putFields(out, 1, source, fields, count, marks, 1)
      assert.equal(end, out.length - 2, `the length said beforehand: ${context}`)
      assert.equal(out.toString('latin1', 1, end), rebuilt(text, fields, (l) => marks[l] === 0), context)
    }
  })
})
