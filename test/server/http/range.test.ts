import assert from 'node:assert/strict'
import {describe, it} from 'mocha'
import {HttpError} from '../../../src/server/http/errors.js'
import {paginate} from '../../../src/server/http/pagination.js'
import {formatNextRange, parseRange, RangeSyntaxError} from '../../../src/server/http/range.js'

describe('parseRange', () => {
  it('treats an absent or empty header as no Range', () => {
    assert.equal(parseRange(undefined), undefined)
    assert.equal(parseRange(''), undefined)
    assert.equal(parseRange('   '), undefined)
  })

  it("parses heroku-client's default on every request", () => {
    assert.deepEqual(parseRange('id ..; max=1000'), {field: 'id', startExclusive: false, max: 1000})
  })

  it('accepts the trailing semicolon of the CLI paginator', () => {
    assert.deepEqual(parseRange('id ..; max=200;'), {field: 'id', startExclusive: false, max: 200})
  })

  it('accepts options separated by comma and space, or comma alone, in any order', () => {
    assert.deepEqual(parseRange('version ..; max=15, order=desc'), {field: 'version', startExclusive: false, max: 15, order: 'desc'})
    assert.deepEqual(parseRange('version ..; order=desc,max=1'), {field: 'version', startExclusive: false, max: 1, order: 'desc'})
    assert.deepEqual(parseRange('number ..; order=desc,max=1'), {field: 'number', startExclusive: false, max: 1, order: 'desc'})
    assert.deepEqual(parseRange('seq ..; order=desc,max=10'), {field: 'seq', startExclusive: false, max: 10, order: 'desc'})
  })

  it('parses an exclusive start echoed back from Next-Range', () => {
    assert.deepEqual(parseRange('id ]01234567-89ab-cdef-0123-456789abcdef..; max=1'), {
      field: 'id',
      start: '01234567-89ab-cdef-0123-456789abcdef',
      startExclusive: true,
      max: 1,
    })
  })

  it('parses inclusive starts (with or without `[`) and ends', () => {
    assert.deepEqual(parseRange('name [b..d'), {field: 'name', start: 'b', end: 'd', startExclusive: false})
    assert.deepEqual(parseRange('name b..d'), {field: 'name', start: 'b', end: 'd', startExclusive: false})
    assert.deepEqual(parseRange('updated_at 2012-01-01T12:00:00.5Z..'), {
      field: 'updated_at',
      start: '2012-01-01T12:00:00.5Z',
      startExclusive: false,
    })
  })

  it('maps the deprecated `ids` to `id`', () => {
    assert.equal(parseRange('ids ..')?.field, 'id')
  })

  it('clamps max above 1000 to 1000', () => {
    assert.equal(parseRange('id ..; max=5000')?.max, 1000)
  })

  it('rejects malformed headers', () => {
    for (const bad of ['id', '..', 'id ..123', 'id ]..', 'id ..; max=0', 'id ..; max=abc', 'id ..; max=-1', 'id ..; order=sideways', 'id ..; max', '1d ..']) {
      assert.throws(() => parseRange(bad), RangeSyntaxError, bad)
    }
  })

  it('ignores unknown options', () => {
    assert.deepEqual(parseRange('id ..; max=5, colour=blue'), {field: 'id', startExclusive: false, max: 5})
  })

  it('formats the next range with an exclusive start, carrying max and order', () => {
    assert.equal(formatNextRange({field: 'id', max: 1}, 'abc'), 'id ]abc..; max=1')
    assert.equal(formatNextRange({field: 'version', max: 2, order: 'desc'}, '7'), 'version ]7..; max=2, order=desc')
  })
})

describe('paginate', () => {
  const items = Array.from({length: 7}, (_, i) => ({id: `id-${i}`, version: i + 1}))
  const spec = {fields: {version: (x: {version: number}) => x.version, id: (x: {id: string}) => x.id}}

  it('answers everything in the default order with 200 and no Next-Range when it fits', () => {
    const page = paginate(items, undefined, spec)
    assert.equal(page.status, 200)
    assert.deepEqual(page.items.map((x) => x.version), [1, 2, 3, 4, 5, 6, 7])
    assert.equal(page.nextRange, undefined)
    assert.equal(page.contentRange, 'version 1..7; max=200')
    assert.equal(page.acceptRanges, 'version, id')
  })

  it('walks pages with Next-Range until the last, which has none', () => {
    const seen: number[] = []
    let header: string | undefined = 'version ..; max=3'
    let pages = 0
    while (header !== undefined) {
      const page: {items: Array<{version: number}>; status: number; nextRange?: string} = paginate(items, header, spec)
      seen.push(...page.items.map((x) => x.version))
      assert.equal(page.status, page.nextRange ? 206 : 200)
      header = page.nextRange
      pages++
    }
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7])
    assert.equal(pages, 3)
  })

  it('sorts descending and pages backwards', () => {
    const first = paginate(items, 'version ..; order=desc,max=2', spec)
    assert.deepEqual(first.items.map((x) => x.version), [7, 6])
    assert.equal(first.nextRange, 'version ]6..; max=2, order=desc')
    const second = paginate(items, first.nextRange, spec)
    assert.deepEqual(second.items.map((x) => x.version), [5, 4])
  })

  it('compares numeric fields as numbers (10 after 9)', () => {
    const many = Array.from({length: 12}, (_, i) => ({id: `x${i}`, version: i + 1}))
    assert.deepEqual(paginate(many, 'version ]9..', spec).items.map((x) => x.version), [10, 11, 12])
  })

  it('answers 416 for an unknown field or bad syntax, but always accepts id', () => {
    assert.throws(() => paginate(items, 'colour ..', spec), (e: unknown) => e instanceof HttpError && e.statusCode === 416)
    assert.throws(() => paginate(items, 'id ..; max=x', spec), (e: unknown) => e instanceof HttpError && e.id === 'requested_range_not_satisfiable')
    assert.equal(paginate(items, 'id ..; max=1000', spec).status, 200)
  })
})
