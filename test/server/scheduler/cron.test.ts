import assert from 'node:assert/strict'

import {assertTimeZone, CronError, isValidTimeZone, nextRun, nextRuns, parseCron} from '../../../src/server/scheduler/cron.js'

function runs(expression: string, after: string, count: number, timeZone?: string): string[] {
  return nextRuns(parseCron(expression), new Date(after), count, timeZone).map((date) => date.toISOString())
}

function next(expression: string, after: string, timeZone?: string): string {
  return nextRun(parseCron(expression), new Date(after), timeZone).toISOString()
}

function parseError(expression: string): CronError {
  try {
    parseCron(expression)
  } catch (error) {
    assert.ok(error instanceof CronError, `not a CronError: ${String(error)}`)
    return error
  }
  assert.fail(`"${expression}" parsed`)
}

describe('cron', () => {
  describe('parsing', () => {
    it('parses lists, ranges, steps and start/step', () => {
      const schedule = parseCron('1-10/3,20,*/30 */6 1,15 * *')
      assert.deepEqual(schedule.minutes, [0, 1, 4, 7, 10, 20, 30])
      assert.deepEqual(schedule.hours, [0, 6, 12, 18])
      assert.deepEqual(schedule.daysOfMonth, [1, 15])
      assert.deepEqual(schedule.months, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
      assert.deepEqual(schedule.daysOfWeek, [0, 1, 2, 3, 4, 5, 6])
      assert.deepEqual(parseCron('5/15 * * * *').minutes, [5, 20, 35, 50])
    })

    it('reads month and day names in any case, and 7 as Sunday', () => {
      const schedule = parseCron('0 0 * JAN,jul-Sep mon-FRI')
      assert.deepEqual(schedule.months, [1, 7, 8, 9])
      assert.deepEqual(schedule.daysOfWeek, [1, 2, 3, 4, 5])
      assert.deepEqual(parseCron('0 0 * * 5-7').daysOfWeek, [0, 5, 6])
      assert.deepEqual(parseCron('0 0 * * 7').daysOfWeek, [0])
      assert.deepEqual(parseCron('0 0 * * */2').daysOfWeek, [0, 2, 4, 6])
    })

    it('expands the macros', () => {
      const fields = (expression: string): unknown => {
        const s = parseCron(expression)
        return [s.minutes, s.hours, s.daysOfMonth.length, s.months.length, s.daysOfWeek]
      }
      assert.deepEqual(fields('@hourly'), [[0], Array.from({length: 24}, (_, i) => i), 31, 12, [0, 1, 2, 3, 4, 5, 6]])
      assert.deepEqual(fields('@daily'), [[0], [0], 31, 12, [0, 1, 2, 3, 4, 5, 6]])
      assert.deepEqual(fields('@midnight'), fields('@daily'))
      assert.deepEqual(fields('@weekly'), [[0], [0], 31, 12, [0]])
      assert.deepEqual(parseCron('@monthly').daysOfMonth, [1])
      assert.deepEqual(parseCron('@yearly').months, [1])
      assert.deepEqual(parseCron('@annually').months, [1])
      assert.equal(parseCron(' @Daily ').expression, '@Daily')
    })

    it('names the bad field in its errors', () => {
      const cases: Array<[string, string, string]> = [
        ['60 * * * *', 'minute', 'Invalid cron expression "60 * * * *": minute field "60": 60 is out of range 0-59'],
        ['0 24 * * *', 'hour', 'Invalid cron expression "0 24 * * *": hour field "24": 24 is out of range 0-23'],
        ['0 0 0 * *', 'day-of-month', 'Invalid cron expression "0 0 0 * *": day-of-month field "0": 0 is out of range 1-31'],
        ['0 0 * foo *', 'month', 'Invalid cron expression "0 0 * foo *": month field "foo": "foo" is not a month (1-12 or jan-dec)'],
        [
          '0 0 * * mon-xyz',
          'day-of-week',
          'Invalid cron expression "0 0 * * mon-xyz": day-of-week field "mon-xyz": "xyz" is not a day of the week (0-7 or sun-sat)',
        ],
        ['*/0 * * * *', 'minute', 'Invalid cron expression "*/0 * * * *": minute field "*/0": step 0 is out of range 1-60'],
        ['*/61 * * * *', 'minute', 'Invalid cron expression "*/61 * * * *": minute field "*/61": step 61 is out of range 1-60'],
        ['0 5-1 * * *', 'hour', 'Invalid cron expression "0 5-1 * * *": hour field "5-1": range 5-1 goes backwards'],
        ['1,,2 * * * *', 'minute', 'Invalid cron expression "1,,2 * * * *": minute field "1,,2": empty list item'],
        ['0 0 * * fri-mon', 'day-of-week', 'Invalid cron expression "0 0 * * fri-mon": day-of-week field "fri-mon": range fri-mon goes backwards'],
        ['1/2/3 * * * *', 'minute', 'Invalid cron expression "1/2/3 * * * *": minute field "1/2/3": "1/2/3" has more than one /'],
        ['*/x * * * *', 'minute', 'Invalid cron expression "*/x * * * *": minute field "*/x": step "x" is not a number'],
        ['-5 * * * *', 'minute', 'Invalid cron expression "-5 * * * *": minute field "-5": "-5" is not a range'],
        ['1.5 * * * *', 'minute', 'Invalid cron expression "1.5 * * * *": minute field "1.5": "1.5" is not a minute (0-59)'],
        ['0 0 * 13 *', 'month', 'Invalid cron expression "0 0 * 13 *": month field "13": 13 is out of range 1-12'],
        ['0 0 * * 8', 'day-of-week', 'Invalid cron expression "0 0 * * 8": day-of-week field "8": 8 is out of range 0-7'],
        [
          '0 0 30 2 *',
          'day-of-month',
          'Invalid cron expression "0 0 30 2 *": day-of-month field "30": no such day in the months "2", so it would never run',
        ],
        ['* * * *', 'expression', 'Invalid cron expression "* * * *": expected 5 fields (minute hour day-of-month month day-of-week), got 4'],
        ['0 * * * * *', 'expression', 'Invalid cron expression "0 * * * * *": expected 5 fields (minute hour day-of-month month day-of-week), got 6'],
        ['', 'expression', 'Invalid cron expression "": expected 5 fields (minute hour day-of-month month day-of-week), got 0'],
        [
          '@reboot',
          'expression',
          'Invalid cron expression "@reboot": unknown macro (use @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)',
        ],
      ]
      for (const [expression, field, message] of cases) {
        const error = parseError(expression)
        assert.equal(error.field, field, expression)
        assert.equal(error.message, message)
        assert.equal(error.expression, expression.trim())
      }
    })

    it('accepts a day that exists only in leap years, and day 31 with a 31-day month', () => {
      assert.deepEqual(parseCron('0 0 29 2 *').daysOfMonth, [29])
      assert.deepEqual(parseCron('0 0 31 4,5 *').months, [4, 5])
      // With a day of week as well, the OR rule makes it run on that weekday: no error.
      assert.deepEqual(parseCron('0 0 30 2 mon').daysOfMonth, [30])
    })

    it('knows IANA time zones', () => {
      assert.equal(isValidTimeZone('Europe/Berlin'), true)
      assert.equal(isValidTimeZone('UTC'), true)
      assert.equal(isValidTimeZone('Mars/Olympus'), false)
      assert.throws(() => assertTimeZone('Mars/Olympus'), (error: unknown) => {
        assert.ok(error instanceof CronError)
        assert.equal(error.field, 'time-zone')
        assert.equal(error.message, 'Unknown time zone "Mars/Olympus" (use an IANA name like Europe/Berlin or America/New_York)')
        return true
      })
      assert.throws(() => nextRun(parseCron('* * * * *'), new Date(), 'Nowhere/Else'), CronError)
    })
  })

  describe('next run (UTC)', () => {
    it('is strictly after the given instant, on a whole minute', () => {
      assert.equal(next('*/15 * * * *', '2026-11-27T10:07:30.500Z'), '2026-11-27T10:15:00.000Z')
      assert.equal(next('*/15 * * * *', '2026-11-27T10:15:00.000Z'), '2026-11-27T10:30:00.000Z')
      assert.equal(next('*/15 * * * *', '2026-11-27T10:14:59.999Z'), '2026-11-27T10:15:00.000Z')
      assert.equal(next('* * * * *', '2026-11-27T10:15:00.000Z'), '2026-11-27T10:16:00.000Z')
    })

    it('rolls over hours, days, months and years', () => {
      assert.equal(next('30 9 * * *', '2026-11-27T10:00:00Z'), '2026-11-28T09:30:00.000Z')
      assert.equal(next('0 0 1 * *', '2026-11-27T10:00:00Z'), '2026-12-01T00:00:00.000Z')
      assert.equal(next('@yearly', '2026-11-27T10:00:00Z'), '2027-01-01T00:00:00.000Z')
      assert.equal(next('0 0 31 * *', '2026-11-01T00:00:00Z'), '2026-12-31T00:00:00.000Z')
      assert.deepEqual(runs('0 12 31 * *', '2027-01-31T12:00:00Z', 3), [
        '2027-03-31T12:00:00.000Z',
        '2027-05-31T12:00:00.000Z',
        '2027-07-31T12:00:00.000Z',
      ])
    })

    it('waits for a leap day', () => {
      assert.equal(next('0 0 29 2 *', '2026-11-27T10:00:00Z'), '2028-02-29T00:00:00.000Z')
      assert.equal(next('0 0 29 2 *', '2096-03-01T00:00:00Z'), '2104-02-29T00:00:00.000Z')
    })

    it('runs weekdays only', () => {
      // 2026-11-27 is a Friday.
      assert.deepEqual(runs('0 9 * * mon-fri', '2026-11-27T10:00:00Z', 3), [
        '2026-11-30T09:00:00.000Z',
        '2026-12-01T09:00:00.000Z',
        '2026-12-02T09:00:00.000Z',
      ])
      assert.equal(next('@weekly', '2026-11-27T10:00:00Z'), '2026-11-29T00:00:00.000Z')
    })

    it('ORs day-of-month and day-of-week when both are restricted (Vixie)', () => {
      // The 1st of the month, and every Monday.
      assert.deepEqual(runs('0 0 1 * mon', '2026-11-27T10:00:00Z', 4), [
        '2026-11-30T00:00:00.000Z',
        '2026-12-01T00:00:00.000Z',
        '2026-12-07T00:00:00.000Z',
        '2026-12-14T00:00:00.000Z',
      ])
    })

    it('ANDs them when one starts with * (Vixie), even with a step', () => {
      // Mondays that fall on odd days of the month.
      assert.deepEqual(runs('0 0 */2 * mon', '2026-11-27T10:00:00Z', 3), [
        '2026-12-07T00:00:00.000Z',
        '2026-12-21T00:00:00.000Z',
        '2027-01-11T00:00:00.000Z',
      ])
      assert.deepEqual(runs('0 0 13 * *', '2026-11-27T10:00:00Z', 1), ['2026-12-13T00:00:00.000Z'])
    })

    it('computes a yearly run quickly', () => {
      const schedule = parseCron('0 0 29 2 *')
      const started = process.hrtime.bigint()
      nextRun(schedule, new Date('2096-03-01T00:00:00Z'))
      // A loose bound, only to catch a minute-by-minute walk over 8 years.
      assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 5000)
    })
  })

  describe('time zones and daylight saving time', () => {
    it('runs at local time in a zone', () => {
      // 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
      assert.equal(next('0 9 * * *', '2026-11-27T10:00:00Z', 'Europe/Berlin'), '2026-11-28T08:00:00.000Z')
      assert.equal(next('0 9 * * *', '2026-06-01T10:00:00Z', 'Europe/Berlin'), '2026-06-02T07:00:00.000Z')
      assert.equal(next('0 9 * * *', '2026-06-01T10:00:00Z', 'America/New_York'), '2026-06-01T13:00:00.000Z')
      // The local date decides the day: Monday 00:30 in Berlin is Sunday 23:30 UTC.
      assert.equal(next('30 0 * * mon', '2026-11-27T10:00:00Z', 'Europe/Berlin'), '2026-11-29T23:30:00.000Z')
    })

    describe('Europe/Berlin (2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00)', () => {
      it('runs a job in the skipped hour once, at the first minute after the jump', () => {
        assert.deepEqual(runs('30 2 * * *', '2026-03-28T12:00:00Z', 2, 'Europe/Berlin'), [
          '2026-03-29T01:00:00.000Z', // 03:00 CEST: 02:30 did not exist
          '2026-03-30T00:30:00.000Z', // 02:30 CEST
        ])
        // Several skipped times of one job still make one run.
        assert.deepEqual(runs('*/15 2 * * *', '2026-03-28T12:00:00Z', 2, 'Europe/Berlin'), [
          '2026-03-29T01:00:00.000Z',
          '2026-03-30T00:00:00.000Z',
        ])
        // Asked just before the jump (the next minute is the jump itself).
        assert.equal(next('30 2 * * *', '2026-03-29T00:59:30Z', 'Europe/Berlin'), '2026-03-29T01:00:00.000Z')
      })

      it('does not add a run for a job due at the minute after the jump anyway', () => {
        assert.deepEqual(runs('0 3 * * *', '2026-03-28T12:00:00Z', 2, 'Europe/Berlin'), ['2026-03-29T01:00:00.000Z', '2026-03-30T01:00:00.000Z'])
      })

      it('runs a job in the repeated hour once, at its first occurrence', () => {
        assert.deepEqual(runs('30 2 * * *', '2026-10-24T12:00:00Z', 2, 'Europe/Berlin'), [
          '2026-10-25T00:30:00.000Z', // 02:30 CEST
          '2026-10-26T01:30:00.000Z', // the next day, 02:30 CET; not 2026-10-25T01:30Z
        ])
        // Asked from inside the second pass: the first pass ran it already.
        assert.equal(next('45 2 * * *', '2026-10-25T01:10:00Z', 'Europe/Berlin'), '2026-10-26T01:45:00.000Z')
        assert.equal(next('45 2 * * *', '2026-10-25T00:10:00Z', 'Europe/Berlin'), '2026-10-25T00:45:00.000Z')
      })

      it('runs an interval job at every matching instant through both changes', () => {
        assert.deepEqual(runs('*/30 * * * *', '2026-03-29T00:00:00Z', 4, 'Europe/Berlin'), [
          '2026-03-29T00:30:00.000Z', // 01:30 CET
          '2026-03-29T01:00:00.000Z', // 03:00 CEST
          '2026-03-29T01:30:00.000Z',
          '2026-03-29T02:00:00.000Z',
        ])
        assert.deepEqual(runs('*/30 * * * *', '2026-10-25T00:00:00Z', 5, 'Europe/Berlin'), [
          '2026-10-25T00:30:00.000Z', // 02:30 CEST
          '2026-10-25T01:00:00.000Z', // 02:00 CET
          '2026-10-25T01:30:00.000Z', // 02:30 CET
          '2026-10-25T02:00:00.000Z', // 03:00 CET
          '2026-10-25T02:30:00.000Z',
        ])
        // Minutes of the first pass come before the repeated ones, in instant order.
        assert.deepEqual(runs('0,55 * * * *', '2026-10-25T00:50:00Z', 2, 'Europe/Berlin'), [
          '2026-10-25T00:55:00.000Z', // 02:55 CEST
          '2026-10-25T01:00:00.000Z', // 02:00 CET
        ])
      })
    })

    describe('America/New_York (2026-03-08 02:00 -> 03:00, 2026-11-01 02:00 -> 01:00)', () => {
      it('runs a job in the skipped hour once, at 03:00 EDT', () => {
        assert.deepEqual(runs('15 2 * * *', '2026-03-07T12:00:00Z', 2, 'America/New_York'), [
          '2026-03-08T07:00:00.000Z', // 03:00 EDT
          '2026-03-09T06:15:00.000Z', // 02:15 EDT
        ])
      })

      it('runs a job in the repeated hour once', () => {
        assert.deepEqual(runs('30 1 * * *', '2026-10-31T12:00:00Z', 2, 'America/New_York'), [
          '2026-11-01T05:30:00.000Z', // 01:30 EDT
          '2026-11-02T06:30:00.000Z', // 01:30 EST the next day
        ])
      })

      it('runs an hourly job every real hour', () => {
        assert.deepEqual(runs('@hourly', '2026-11-01T04:30:00Z', 4, 'America/New_York'), [
          '2026-11-01T05:00:00.000Z', // 01:00 EDT
          '2026-11-01T06:00:00.000Z', // 01:00 EST
          '2026-11-01T07:00:00.000Z', // 02:00 EST
          '2026-11-01T08:00:00.000Z',
        ])
        assert.deepEqual(runs('@hourly', '2026-03-08T05:30:00Z', 3, 'America/New_York'), [
          '2026-03-08T06:00:00.000Z', // 01:00 EST
          '2026-03-08T07:00:00.000Z', // 03:00 EDT (02:00 does not exist)
          '2026-03-08T08:00:00.000Z',
        ])
      })

      it('keeps a daily job at its local time across the change', () => {
        assert.deepEqual(runs('@daily', '2026-10-31T12:00:00Z', 3, 'America/New_York'), [
          '2026-11-01T04:00:00.000Z',
          '2026-11-02T05:00:00.000Z',
          '2026-11-03T05:00:00.000Z',
        ])
      })
    })
  })
})
