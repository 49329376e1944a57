// Dyno names that are pod names (issue 18): the log filters, `ps:stop`/`ps:restart`'s reading of
// their argument, and the type read out of a name all take them.
import assert from 'node:assert/strict'

import {formatPs} from '../../../../src/lib/ps/format.js'
import {namesOneDyno, typesNamedBy} from '../../../../src/lib/ps/process-types.js'
import {compileFilter, processType} from '../../../../src/server/logs/filter.js'
import {podDynoType} from '../../../../src/shared/dyno-names.js'
import {dyno} from '../../../helpers/fixtures.js'

describe('kubernetes runtime: pod names as dyno names', () => {
  it("reads a Deployment pod's process type", () => {
    assert.equal(podDynoType('web-848cd4f64d-pvpr2'), 'web')
    assert.equal(podDynoType('queue-worker-7d4b9c8f6d-x2x7k'), 'queue-worker')
    assert.equal(podDynoType('web'), undefined)
    assert.equal(podDynoType('web.1'), undefined)
    assert.equal(podDynoType('queue-heavy'), undefined)
  })

  it('log filters: --dyno web and --type web match the pods, --dyno <pod> only that pod', () => {
    assert.equal(processType('web-848cd4f64d-pvpr2'), 'web')
    assert.equal(processType('run.3'), 'run')
    assert.equal(compileFilter({dyno: 'web'})('app', 'web-848cd4f64d-pvpr2'), true)
    assert.equal(compileFilter({dyno: 'web'})('app', 'webhook-848cd4f64d-pvpr2'), false)
    assert.equal(compileFilter({type: 'web'})('app', 'web-848cd4f64d-pvpr2'), true)
    assert.equal(compileFilter({dyno: 'web-848cd4f64d-pvpr2'})('app', 'web-848cd4f64d-pvpr2'), true)
    assert.equal(compileFilter({dyno: 'web-848cd4f64d-pvpr2'})('app', 'web-848cd4f64d-abcde'), false)
    assert.equal(compileFilter({dyno: 'web'})('app', 'web.1'), true)
  })

  it('ps:stop and ps:restart take a pod name as one dyno of its type', () => {
    assert.equal(namesOneDyno('web-848cd4f64d-pvpr2'), true)
    assert.equal(namesOneDyno('web.1'), true)
    assert.equal(namesOneDyno('worker'), false)
    assert.deepEqual(typesNamedBy('web-848cd4f64d-pvpr2'), ['web'])
  })
})

describe('kubernetes runtime: tug ps shows why a pod cannot run', () => {
  it('a crashed dyno with a state_reason shows it beside the state', () => {
    const now = Date.parse('2026-11-27T11:19:16Z')
    const pulled = Object.assign(dyno('web-848cd4f64d-pvpr2', {state: 'crashed'}), {state_reason: 'ImagePullBackOff: Back-off pulling image "nosuch"'})
    assert.deepEqual(formatPs([pulled], {now, color: false}).at(-1), 'web-848cd4f64d-pvpr2: crashed (ImagePullBackOff: Back-off pulling image "nosuch") 2026/11/27 11:19:13 +0000 (~ 3s ago)')
  })
})
