// Pod status -> dyno state, and the platform lines between two reads of a pod.
import assert from 'node:assert/strict'

import type {V1ContainerStatus, V1Pod} from '@kubernetes/client-node'

import {podDynoState, R15_LINE, transitionLines} from '../../../../src/server/runtime/kubernetes/pod-state.js'

function pod(phase: string, app?: Partial<V1ContainerStatus>, extra: Partial<NonNullable<V1Pod['status']>> = {}): V1Pod {
  const containerStatuses = app ? [{name: 'app', image: 'heroku/heroku:24', imageID: '', ready: false, restartCount: 0, ...app}] : undefined
  return {metadata: {name: 'web-848cd4f64d-pvpr2'}, status: {phase, ...(containerStatuses ? {containerStatuses} : {}), ...extra}}
}

describe('kubernetes runtime: pod state mapping', () => {
  it('Pending and ContainerCreating are starting; Running and Ready is up; Running not Ready is starting', () => {
    assert.equal(podDynoState(pod('Pending')).state, 'starting')
    assert.equal(podDynoState(pod('Pending', {state: {waiting: {reason: 'ContainerCreating'}}})).state, 'starting')
    assert.equal(podDynoState(pod('Running', {state: {running: {}}, ready: true})).state, 'up')
    assert.equal(podDynoState(pod('Running', {state: {running: {}}, ready: false})).state, 'starting')
  })

  it('a crash loop is crashed although the phase stays Running', () => {
    const state = podDynoState(pod('Running', {state: {waiting: {reason: 'CrashLoopBackOff'}}, restartCount: 2, lastState: {terminated: {exitCode: 1, reason: 'Error'}}}))
    assert.equal(state.state, 'crashed')
    assert.equal(state.restarts, 2)
    assert.deepEqual(state.lastTermination, {exitCode: 1, reason: 'Error'})
  })

  for (const reason of ['ImagePullBackOff', 'ErrImagePull', 'CreateContainerConfigError']) {
    it(`${reason} is crashed with the reason`, () => {
      const state = podDynoState(pod('Pending', {state: {waiting: {reason, message: 'because'}}}))
      assert.equal(state.state, 'crashed')
      assert.equal(state.reason, `${reason}: because`)
      assert.deepEqual(transitionLines({state: 'starting', restarts: 0, final: false}, state), ['State changed from starting to crashed', `Cannot run: ${reason}: because`])
    })
  }

  it('a failed slug fetch (init container) is crashed', () => {
    const state = podDynoState(pod('Pending', undefined, {initContainerStatuses: [{name: 'slug', image: 'x', imageID: '', ready: false, restartCount: 1, state: {waiting: {reason: 'CrashLoopBackOff'}}, lastState: {terminated: {exitCode: 1, message: 'HTTP 404'}}}]}))
    assert.equal(state.state, 'crashed')
    assert.equal(state.reason, 'Init:CrashLoopBackOff: HTTP 404')
  })

  it("a Job's pod: Succeeded is down with exit 0, Failed is crashed with its exit code", () => {
    const ok = podDynoState(pod('Succeeded', {state: {terminated: {exitCode: 0, reason: 'Completed'}}}))
    assert.deepEqual([ok.state, ok.exitCode, ok.final], ['down', 0, true])
    const failed = podDynoState(pod('Failed', {state: {terminated: {exitCode: 3, reason: 'Error'}}}))
    assert.deepEqual([failed.state, failed.exitCode, failed.final], ['crashed', 3, true])
    assert.deepEqual(transitionLines({state: 'up', restarts: 0, final: false}, failed), ['Process exited with status 3', 'State changed from up to crashed'])
  })

  it('an OOM kill in lastState gives the R15 line once, with the exit', () => {
    const before = podDynoState(pod('Running', {state: {running: {}}, ready: true}))
    const after = podDynoState(pod('Running', {state: {running: {}}, ready: true, restartCount: 1, lastState: {terminated: {exitCode: 137, reason: 'OOMKilled', finishedAt: new Date('2026-12-06T01:00:00Z')}}}))
    assert.deepEqual(transitionLines(before, after), [R15_LINE, 'Process exited with status 137'])
    assert.deepEqual(transitionLines(after, after), [])
  })

  it('a pod being deleted is down', () => {
    const deleting = pod('Running', {state: {running: {}}, ready: true})
    deleting.metadata = {...deleting.metadata, deletionTimestamp: new Date()}
    assert.equal(podDynoState(deleting).state, 'down')
  })

  it('starting -> up is one line', () => {
    const starting = podDynoState(pod('Running', {state: {running: {}}, ready: false}))
    const up = podDynoState(pod('Running', {state: {running: {}}, ready: true}))
    assert.deepEqual(transitionLines(starting, up), ['State changed from starting to up'])
    assert.deepEqual(transitionLines(undefined, starting), [])
  })
})
