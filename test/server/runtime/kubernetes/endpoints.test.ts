import assert from 'node:assert/strict'

import {AppsV1Api, CoreV1Api} from '@kubernetes/client-node'
import type {KubeConfig, V1EndpointSlice} from '@kubernetes/client-node'

import type {WebDyno} from '../../../../src/server/router/directory.js'
import {EndpointSliceDirectory, webDynos} from '../../../../src/server/runtime/kubernetes/endpoints.js'
import {startFakeKubernetes} from '../../../helpers/kubernetes/fake-api-server.js'
import type {FakeKubernetes} from '../../../helpers/kubernetes/fake-api-server.js'
import {waitFor} from '../../../helpers/wait-for.js'
import {createDeployment, createNamespace} from './io-fixtures.js'

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

describe('EndpointSliceDirectory (against the fake API server)', function () {
  this.timeout(90_000)
  let fake: FakeKubernetes
  let kc: KubeConfig
  let directory: EndpointSliceDirectory
  const errors: Error[] = []

  beforeEach(async () => {
    fake = await startFakeKubernetes()
    kc = fake.kubeConfig()
    errors.length = 0
    directory = new EndpointSliceDirectory({kc, namespaceFor: (app) => `tug-${app}`, onError: (error) => void errors.push(error), retryDelayMs: {min: 50, max: 500}})
  })

  afterEach(async () => {
    await directory.close()
    await fake.close()
  })

  /** Listens on $PORT after `delay` seconds and answers with its pod's name. */
  const server = (delay: number): string =>
    `sleep ${delay}; exec node -e "require('http').createServer((q, s) => s.end(process.env.HOSTNAME)).listen(process.env.PORT, '127.0.0.1')"`

  async function answer(dyno: WebDyno): Promise<string> {
    const response = await fetch(`http://${dyno.host}:${dyno.port}/`)
    return response.text()
  }

  it('lists a web pod as starting, then up on its own port once ready, and drops it when deleted', async () => {
    await createNamespace(kc, 'tug-shop')
    directory.watchApp('shop')
    await directory.ready()
    assert.deepEqual(directory.list('shop'), [])
    await createDeployment(kc, 'tug-shop', 'web', server(3), {port: 5000, readiness: true})
    await createDeployment(kc, 'tug-shop', 'worker', server(0), {port: 5000})
    const starting = await waitFor(() => directory.list('shop').find((d) => d.state === 'starting'), {what: 'a starting web dyno', timeoutMs: 30_000})
    const up = await waitFor(() => directory.list('shop').find((d) => d.state === 'up'), {what: 'the web dyno up', timeoutMs: 30_000})
    assert.equal(up.name, starting.name)
    assert.match(up.name, /^web-[a-z0-9]{10}-[a-z0-9]{5}$/)
    assert.equal(up.host, '127.0.0.1')
    assert.notEqual(up.port, 5000, 'the fake rewrote PORT: the slice’s port is the pod’s own')
    assert.equal(await answer(up), up.name, 'the slice’s address and port reach that pod')
    // The worker's slices (service-name worker) are no web dynos.
    await waitFor(() => fake.list('EndpointSlice', 'tug-shop').some((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'worker'), {what: 'the worker’s slice'})
    assert.deepEqual(directory.list('shop').map((d) => d.name), [up.name])

    await kc.makeApiClient(CoreV1Api).deleteNamespacedPod({name: up.name, namespace: 'tug-shop'})
    const next = await waitFor(() => {
      const dynos = directory.list('shop')
      return dynos.length === 1 && dynos[0]?.name !== up.name && dynos[0]?.state === 'up' ? dynos[0] : undefined
    }, {what: () => `only the replacement, up (now ${JSON.stringify(directory.list('shop'))})`, timeoutMs: 30_000})
    assert.equal(await answer(next), next.name)
    await kc.makeApiClient(AppsV1Api).deleteNamespacedDeployment({name: 'web', namespace: 'tug-shop'})
    await waitFor(() => directory.list('shop').length === 0, {what: () => `no web dyno left (now ${JSON.stringify(directory.list('shop'))})`, timeoutMs: 30_000})
    assert.deepEqual(errors, [])
  })

  it('lists again after 410 Gone, and sees what changed meanwhile', async () => {
    await createNamespace(kc, 'tug-blog')
    await createDeployment(kc, 'tug-blog', 'web', server(0), {port: 5000, readiness: true})
    directory.watchApp('blog')
    const first = await waitFor(() => directory.list('blog').find((d) => d.state === 'up'), {what: 'the web dyno up', timeoutMs: 30_000})
    const lists = (): number => fake.requests.filter((r) => r.method === 'GET' && r.path === '/apis/discovery.k8s.io/v1/namespaces/tug-blog/endpointslices' && r.query.watch !== 'true').length
    const listsBefore = lists()
    // Something else changes, so that the watch's resourceVersion is older than the compaction.
    await kc.makeApiClient(CoreV1Api).createNamespacedSecret({namespace: 'tug-blog', body: {apiVersion: 'v1', kind: 'Secret', metadata: {name: 'unrelated'}, data: {}}})
    fake.compact()
    await kc.makeApiClient(CoreV1Api).deleteNamespacedPod({name: first.name, namespace: 'tug-blog'})
    await waitFor(() => lists() > listsBefore, {what: 'a new list after 410 Gone', timeoutMs: 30_000})
    const next = await waitFor(() => {
      const dynos = directory.list('blog')
      return dynos.length === 1 && dynos[0]?.name !== first.name && dynos[0]?.state === 'up' ? dynos[0] : undefined
    }, {what: () => `only the replacement, up (now ${JSON.stringify(directory.list('blog'))})`, timeoutMs: 30_000})
    assert.equal(await answer(next), next.name)
    directory.unwatchApp('blog')
    assert.deepEqual(directory.list('blog'), [])
    assert.deepEqual(errors, [])
  })
})
