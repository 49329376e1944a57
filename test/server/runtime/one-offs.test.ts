// The pure helpers of one-offs.ts; the one-offs themselves run in manager.test.ts (fake backend)
// and test/e2e/runtime-oneoffs.test.ts (real processes).
import assert from 'node:assert/strict'

import {lowestFreeName, substituteProcessType} from '../../../src/server/runtime/one-offs.js'

describe('runtime: one-offs, pure helpers', () => {
  it('substituteProcessType replaces a first word naming a type, keeping the rest', () => {
    const types = [{name: 'worker', command: 'python dowork.py'}]
    assert.equal(substituteProcessType('worker 42', types), 'python dowork.py 42')
    assert.equal(substituteProcessType('workers 42', types), 'workers 42')
    assert.equal(substituteProcessType('bash', types), 'bash')
  })

  it('lowestFreeName fills gaps', () => {
    assert.equal(lowestFreeName('run', []), 'run.1')
    assert.equal(lowestFreeName('run', ['run.1', 'run.3', 'web.2']), 'run.2')
  })
})
