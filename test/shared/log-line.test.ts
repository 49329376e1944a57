import assert from 'node:assert/strict'

import {colorizeLogLine, dynoColor, formatLogLine, formatTimestamp, type LogLine, overflowNotice, parseLogLine} from '../../src/shared/log-line.js'

const ESC = '\u001B['
const RESET = `${ESC}0m`
const DIM = `${ESC}2m`
const RED = `${ESC}31m`
const MAGENTA = `${ESC}35m`

describe('log-line', () => {
  describe('overflowNotice', () => {
    it('says how many lines a reader or a dyno\'s log copy lost, and since when', () => {
      assert.equal(overflowNotice(12, '2026-11-27T11:15:41.123456+00:00'), 'Error L10 (output buffer overflow): 12 messages dropped since 2026-11-27T11:15:41.123456+00:00')
    })

    it('names the drain that lost them', () => {
      assert.equal(
        overflowNotice(3, '2026-11-27T11:15:41.123456+00:00', 'd.0f1e2d'),
        'Error L10 (output buffer overflow): drain d.0f1e2d dropped 3 messages since 2026-11-27T11:15:41.123456+00:00',
      )
    })

    it('is an error event the CLI colours red', () => {
      const text = formatLogLine({timestamp: '2026-11-27T11:15:41.123456+00:00', source: 'tug', dyno: 'router', message: overflowNotice(1, '2026-11-27T11:15:41.123456+00:00')})
      assert.ok(colorizeLogLine(text, true).includes(`${RED}Error L10`))
    })
  })

  describe('formatLogLine', () => {
    it('writes the logplex layout', () => {
      const line: LogLine = {timestamp: '2026-11-27T11:15:41.123456+00:00', source: 'app', dyno: 'web.1', message: 'listening on 5000'}
      assert.equal(formatLogLine(line), '2026-11-27T11:15:41.123456+00:00 app[web.1]: listening on 5000')
    })

    it('writes platform lines with the tug source', () => {
      assert.equal(
        formatLogLine({timestamp: '2026-11-27T11:15:41.000000+00:00', source: 'tug', dyno: 'web.1', message: 'State changed from starting to up'}),
        '2026-11-27T11:15:41.000000+00:00 tug[web.1]: State changed from starting to up',
      )
    })
  })

  describe('parseLogLine', () => {
    it('is the inverse of formatLogLine', () => {
      const lines: LogLine[] = [
        {timestamp: '2026-11-27T11:15:41.123456+00:00', source: 'app', dyno: 'web.1', message: 'GET / 200'},
        {timestamp: '2026-11-27T11:15:41.123456+00:00', source: 'tug', dyno: 'run.4821', message: 'Process exited with status 0'},
        {timestamp: '2026-11-27T11:15:41.123456+00:00', source: 'app', dyno: 'worker.12', message: ''},
        {timestamp: '2026-11-27T11:15:41.123456+00:00', source: 'app', dyno: 'web.1', message: '  indented: [x] a]b: c  '},
        {timestamp: '2026-11-27T11:15:41.123456+00:00', source: 'app', dyno: 'web.1', message: 'two\nlines'},
      ]
      for (const line of lines) {
        assert.deepEqual(parseLogLine(formatLogLine(line)), line)
        assert.equal(formatLogLine(parseLogLine(formatLogLine(line)) as LogLine), formatLogLine(line))
      }
    })

    it("parses Heroku's lines, from the docs", () => {
      assert.deepEqual(parseLogLine('2010-09-16T15:13:46.677020+00:00 app[web.1]: Processing PostController#list (for 208.39.138.12 …)'), {
        timestamp: '2010-09-16T15:13:46.677020+00:00',
        source: 'app',
        dyno: 'web.1',
        message: 'Processing PostController#list (for 208.39.138.12 …)',
      })
      assert.deepEqual(parseLogLine('2013-10-23T21:33:41.154690+00:00 app[api]: Release v7 created by user you@example.com'), {
        timestamp: '2013-10-23T21:33:41.154690+00:00',
        source: 'app',
        dyno: 'api',
        message: 'Release v7 created by user you@example.com',
      })
      assert.deepEqual(parseLogLine('2014-12-07T13:52:25.191250+00:00 heroku[web.1]: State changed from starting to up'), {
        timestamp: '2014-12-07T13:52:25.191250+00:00',
        source: 'heroku',
        dyno: 'web.1',
        message: 'State changed from starting to up',
      })
    })

    it('accepts other offsets, Z, and Fir dyno names', () => {
      assert.deepEqual(parseLogLine('2026-11-27T11:15:41Z heroku[router]: at=info'), {
        timestamp: '2026-11-27T11:15:41Z',
        source: 'heroku',
        dyno: 'router',
        message: 'at=info',
      })
      assert.deepEqual(parseLogLine('2026-11-27T12:15:41.5-05:30 app[web-1234abcde-123ab]: hi'), {
        timestamp: '2026-11-27T12:15:41.5-05:30',
        source: 'app',
        dyno: 'web-1234abcde-123ab',
        message: 'hi',
      })
    })

    it('reads a header with no message at all', () => {
      assert.deepEqual(parseLogLine('2026-11-27T11:15:41.123456+00:00 app[web.1]:'), {
        timestamp: '2026-11-27T11:15:41.123456+00:00',
        source: 'app',
        dyno: 'web.1',
        message: '',
      })
    })

    it('returns undefined for anything else', () => {
      for (const text of [
        '',
        'hello',
        'app[web.1]: no timestamp',
        '2026-11-27 11:15:41 app[web.1]: space in timestamp',
        '2026-11-27T11:15:41.123456+00:00 app[web.1] no colon',
        '2026-11-27T11:15:41.123456+00:00 app[]: empty dyno',
        '2026-11-27T11:15:41.123456+00:00 [web.1]: no source',
        '2026-11-27T11:15:41.123456+00:00 app[web.1]:no space',
        '2026-11-27T11:15:41.123456 app[web.1]: no offset',
      ]) {
        assert.equal(parseLogLine(text), undefined, text)
      }
    })
  })

  describe('formatTimestamp', () => {
    it('writes UTC with six fraction digits and +00:00', () => {
      assert.equal(formatTimestamp(new Date('2026-11-27T11:15:41.123Z')), '2026-11-27T11:15:41.123000+00:00')
      assert.equal(formatTimestamp(new Date('2026-11-27T11:15:41.123Z'), 456), '2026-11-27T11:15:41.123456+00:00')
      assert.equal(formatTimestamp(new Date('2026-01-02T03:04:05.006Z'), 7), '2026-01-02T03:04:05.006007+00:00')
    })

    it('converts from other offsets to UTC', () => {
      assert.equal(formatTimestamp(new Date('2026-11-27T12:15:41.000+01:00')), '2026-11-27T11:15:41.000000+00:00')
    })

    it('rejects an invalid date and out-of-range microseconds', () => {
      assert.throws(() => formatTimestamp(new Date('nope')), {name: 'RangeError', message: 'formatTimestamp: invalid date'})
      assert.throws(() => formatTimestamp(new Date(0), 1000), {
        name: 'RangeError',
        message: 'formatTimestamp: micros must be a whole number from 0 to 999, got 1000',
      })
      assert.throws(() => formatTimestamp(new Date(0), -1), RangeError)
      assert.throws(() => formatTimestamp(new Date(0), 1.5), RangeError)
    })

    it('produces what parseLogLine accepts', () => {
      const timestamp = formatTimestamp(new Date('2026-11-27T11:15:41.999Z'), 999)
      assert.equal(parseLogLine(formatLogLine({timestamp, source: 'app', dyno: 'web.1', message: 'x'}))?.timestamp, timestamp)
    })
  })

  describe('colorizeLogLine', () => {
    const ts = '2026-11-27T11:15:41.123456+00:00'

    it('returns the text unchanged when disabled', () => {
      const text = `${ts} tug[web.1]: Error R10 (Boot timeout)`
      assert.equal(colorizeLogLine(text, false), text)
    })

    it('returns text that is not a log line unchanged', () => {
      assert.equal(colorizeLogLine('plain text', true), 'plain text')
    })

    it('colours the header by dyno and dims the timestamp', () => {
      const color = dynoColor('web.1')
      assert.equal(colorizeLogLine(`${ts} app[web.1]: hello`, true), `${DIM}${ts}${RESET} ${color}app[web.1]:${RESET} hello`)
    })

    it('keeps a dyno colour stable and spreads dynos over several colours', () => {
      assert.equal(dynoColor('web.1'), dynoColor('web.1'))
      const colors = new Set(['web.1', 'web.2', 'web.3', 'worker.1', 'worker.2', 'clock.1', 'run.1', 'api'].map((dyno) => dynoColor(dyno)))
      assert.ok(colors.size >= 3, `only ${colors.size} colours`)
      for (const color of colors) {
        // eslint-disable-next-line no-control-regex
        assert.match(color, /^\u001B\[\d+m$/)
        assert.notEqual(color, RED)
        assert.notEqual(color, MAGENTA)
      }
    })

    it('gives tug and heroku lines their own colour', () => {
      assert.equal(
        colorizeLogLine(`${ts} tug[web.1]: State changed from starting to up`, true),
        `${DIM}${ts}${RESET} ${MAGENTA}tug[web.1]:${RESET} State changed from starting to up`,
      )
      assert.equal(
        colorizeLogLine(`${ts} heroku[router]: at=info method=GET`, true),
        `${DIM}${ts}${RESET} ${MAGENTA}heroku[router]:${RESET} at=info method=GET`,
      )
    })

    it('shows platform errors in red', () => {
      for (const message of [
        'Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 60 seconds of launch',
        'Error L10 (output buffer overflow): 12 lines dropped',
        'Process exited with status 1',
        'Process exited with status 137',
        'State changed from up to crashed',
        'at=error code=H12 desc="Request timeout"',
      ]) {
        assert.equal(colorizeLogLine(`${ts} tug[web.1]: ${message}`, true), `${DIM}${ts}${RESET} ${MAGENTA}tug[web.1]:${RESET} ${RED}${message}${RESET}`, message)
      }
    })

    it('does not colour ordinary exits or app output red', () => {
      for (const message of ['Process exited with status 0', 'Process exited with status 143', 'Stopping all processes with SIGTERM']) {
        assert.equal(colorizeLogLine(`${ts} tug[web.1]: ${message}`, true), `${DIM}${ts}${RESET} ${MAGENTA}tug[web.1]:${RESET} ${message}`)
      }
      const app = `${ts} app[web.1]: the job crashed`
      assert.equal(colorizeLogLine(app, true), `${DIM}${ts}${RESET} ${dynoColor('web.1')}app[web.1]:${RESET} the job crashed`)
    })

    it('keeps the text of the line: stripping the codes gives the original', () => {
      for (const text of [`${ts} app[web.1]: a: b`, `${ts} tug[run.1]: Process exited with status 2`, `${ts} app[web.1]: `, `${ts} app[web.1]:`]) {
        // eslint-disable-next-line no-control-regex
        assert.equal(colorizeLogLine(text, true).replace(/\u001B\[\d+m/g, ''), text)
      }
    })
  })
})
