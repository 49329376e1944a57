import assert from 'node:assert/strict'

import {UsageError} from '../../../src/lib/errors.js'
import {parseFormation, planProcesses} from '../../../src/lib/local/formation.js'
import {parseProcfile} from '../../../src/shared/procfile.js'

const types = parseProcfile('web: node server.js\nworker: node worker.js\nclock: node clock.js\n')

function plan(args: string[], base = 5000): string[] {
  return planProcesses(types, parseFormation(args, types), base).map((p) => `${p.name}:${p.port}`)
}

describe('tug local formation', () => {
  it('runs one of each type without arguments, on Foreman ports (base + 100 per type)', () => {
    assert.deepEqual(plan([]), ['web.1:5000', 'worker.1:5100', 'clock.1:5200'])
  })

  it('runs only the types named, N of each, numbered from the type`s place in the Procfile', () => {
    assert.deepEqual(plan(['worker=2', 'web']), ['web.1:5000', 'worker.1:5100', 'worker.2:5101'])
    assert.deepEqual(plan(['clock=1,web=2'], 8000), ['web.1:8000', 'web.2:8001', 'clock.1:8200'])
    assert.deepEqual(plan(['web=0', 'clock']), ['clock.1:5200'])
  })

  it('keeps each process`s command and type', () => {
    const [web] = planProcesses(types, parseFormation(['web'], types), 5000)
    assert.deepEqual(web, {name: 'web.1', type: 'web', command: 'node server.js', port: 5000})
  })

  it('refuses unknown types (naming the near one and the list), bad forms, repeats, nothing to run and ports past 65535', () => {
    assert.throws(() => plan(['wbe=1']), (e: unknown) => e instanceof UsageError && /no process type wbe\. Did you mean web\? Its process types are web, worker, clock\./.test(e.message))
    assert.throws(() => plan(['web=x']), /Cannot read "web=x"/)
    assert.throws(() => plan(['web', 'web=2']), /given twice/)
    assert.throws(() => plan(['web=0']), /Nothing to run/)
    assert.throws(() => plan([], 65_400), /Port 65600 is out of range/)
    assert.throws(() => plan(['web=101']), /too many/)
  })
})
