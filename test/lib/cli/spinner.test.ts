import assert from 'node:assert/strict'
import {Writable} from 'node:stream'

import type {OutStream} from '../../../src/lib/cli/io.js'
import {FALLBACK_COLUMNS, spinnerOptions, spinnerStream, startSpinner, usableColumns} from '../../../src/lib/cli/spinner.js'
import {Collector} from '../../helpers/capture.js'

function terminal(columns: number | undefined): Collector {
  const stream = new Collector(true)
  stream.columns = columns
  return stream
}

describe('cli/spinner', () => {
  it('gives ora a usable width when the terminal reports 0 or none, and the real one otherwise', () => {
    assert.equal(usableColumns({columns: 0}), FALLBACK_COLUMNS)
    assert.equal(usableColumns({columns: undefined}), FALLBACK_COLUMNS)
    assert.equal(usableColumns({columns: Number.NaN}), FALLBACK_COLUMNS)
    assert.equal(usableColumns({columns: 120}), 120)
    const stream = terminal(0)
    const view = spinnerStream(stream) as unknown as {columns: number; rows?: number; isTTY: boolean}
    assert.equal(view.columns, FALLBACK_COLUMNS)
    assert.equal(view.isTTY, true)
    // Read at each use: a resize of the real terminal is seen.
    stream.columns = 132
    assert.equal(view.columns, 132)
    ;(view as unknown as NodeJS.WritableStream).write('through\n')
    assert.equal(stream.text, 'through\n')
  })

  it("moves the cursor with node:readline's escape codes on a stream without cursor methods of its own", () => {
    let text = ''
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        text += chunk.toString()
        callback()
      },
    })
    const view = spinnerStream(stream as unknown as OutStream) as unknown as Pick<NodeJS.WriteStream, 'cursorTo' | 'moveCursor' | 'clearLine'>
    view.cursorTo(0)
    view.moveCursor(0, -1)
    view.clearLine(1)
    assert.equal(text, '\u001B[1G\u001B[1A\u001B[0K')
  })

  it('turns the spinner colour off with NO_COLOR (any non-empty value) or TERM=dumb, and keeps it otherwise', () => {
    const stream = terminal(100)
    assert.equal(spinnerOptions(stream, 'Scaling dynos...', {NO_COLOR: '1'}).color, false)
    assert.equal(spinnerOptions(stream, 'Scaling dynos...', {NO_COLOR: 'yes please'}).color, false)
    assert.equal(spinnerOptions(stream, 'Scaling dynos...', {TERM: 'dumb'}).color, false)
    assert.equal(spinnerOptions(stream, 'Scaling dynos...', {NO_COLOR: ''}).color, 'cyan')
    assert.equal(spinnerOptions(stream, 'Scaling dynos...', {}).color, 'cyan')
  })

  it('starts an ora spinner that has no colour under NO_COLOR and ends with the persisted text', async () => {
    // A real width: a width of 0 is tested on a real pty in a child process (test/e2e/spinner-pty),
    // where a regression (an endless loop) meets a deadline instead of hanging mocha.
    const stream = terminal(100)
    const spinner = await startSpinner(stream, 'Working...', {NO_COLOR: '1'})
    try {
      assert.equal(spinner.color, false)
      assert.equal(spinner.isSpinning, true)
    } finally {
      spinner.stopAndPersist({symbol: '', text: 'Working... done'})
    }
    assert.match(stream.text, /Working\.\.\. done\n$/)
  })
})
