import assert from 'node:assert/strict'

import type {V1EndpointSlice} from '@kubernetes/client-node'

import {webDynos} from '../../../../src/server/runtime/kubernetes/endpoints.js'

function slice(name: string, port: number | undefined, endpoints: V1EndpointSlice['endpoints']): V1EndpointSlice {
  return {addressType: 'IPv4', metadata: {name}, ports: port === undefined ? [] : [{name: 'web', port, protocol: 'TCP'}], endpoints}
}

describe('EndpointSlices -> web dynos', () => {
  it('reads each slice’s own port, the pod from targetRef, and ready/terminating as up/starting/down', () => {
    const dynos = webDynos([
      slice('web-a', 41001, [{addresses: ['10.0.0.1'], conditions: {ready: true}, targetRef: {kind: 'Pod', name: 'web-848cd4f64d-aaaaa'}}]),
      slice('web-b', 41002, [
        {addresses: ['10.0.0.2'], conditions: {ready: false}, targetRef: {kind: 'Pod', name: 'web-848cd4f64d-bbbbb'}},
        {addresses: ['10.0.0.3'], targetRef: {kind: 'Pod', name: 'web-848cd4f64d-ccccc'}},
        {addresses: ['10.0.0.4'], conditions: {ready: false, serving: true, terminating: true}, targetRef: {kind: 'Pod', name: 'web-848cd4f64d-ddddd'}},
      ]),
      slice('no-port', undefined, [{addresses: ['10.0.0.9'], conditions: {ready: true}}]),
    ])
    assert.deepEqual(dynos, [
      {name: 'web-848cd4f64d-aaaaa', host: '10.0.0.1', port: 41001, state: 'up'},
      {name: 'web-848cd4f64d-bbbbb', host: '10.0.0.2', port: 41002, state: 'starting'},
      {name: 'web-848cd4f64d-ccccc', host: '10.0.0.3', port: 41002, state: 'up'},
      {name: 'web-848cd4f64d-ddddd', host: '10.0.0.4', port: 41002, state: 'down'},
    ])
  })

  it('keeps one dyno per pod listed by two slices, in its best state', () => {
    const pod = {kind: 'Pod', name: 'web-1'}
    const dynos = webDynos([
      slice('old', 41001, [{addresses: ['10.0.0.1'], conditions: {ready: false}, targetRef: pod}]),
      slice('new', 41001, [{addresses: ['10.0.0.1'], conditions: {ready: true}, targetRef: pod}]),
    ])
    assert.deepEqual(dynos, [{name: 'web-1', host: '10.0.0.1', port: 41001, state: 'up'}])
  })
})
