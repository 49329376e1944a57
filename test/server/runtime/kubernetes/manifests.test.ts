// The pure manifest builders: each object validates against Kubernetes' schema (kubernetes-models
// 4.x, pinned by the installed version), and carries the mapping issue 18 asks for.
import assert from 'node:assert/strict'

import {Deployment} from 'kubernetes-models/apps/v1/Deployment'
import {Job} from 'kubernetes-models/batch/v1/Job'
import {Namespace} from 'kubernetes-models/v1/Namespace'
import {Secret} from 'kubernetes-models/v1/Secret'
import {Service} from 'kubernetes-models/v1/Service'

import {
  ANNOTATION_RESTARTED_AT,
  buildConfigSecret,
  buildDeployment,
  buildJob,
  buildNamespace,
  buildWebService,
  CONTAINER_PORT,
  deploymentName,
  jobNameFor,
  namespaceName,
  resourcesFor,
  typeLabelValue,
  typeOf,
  type DeploymentInput,
} from '../../../../src/server/runtime/kubernetes/manifests.js'
import {KubeApi} from '../../../../src/server/runtime/kubernetes/kube-api.js'
import {buildNetworkPolicy, PRIVATE_V4, slugEndpoint} from '../../../../src/server/runtime/kubernetes/network-policy.js'
import {metadataErrors} from '../../../helpers/kubernetes/defaults.js'
import {startFakeKubernetes} from '../../../helpers/kubernetes/fake-api-server.js'
import type {KubeObject} from '../../../helpers/kubernetes/types.js'

const source = {appName: 'shop', releaseVersion: 7, slugUrl: 'http://tug.example:5055/slugs/abc', stackImage: 'heroku/heroku:24', stopGraceSeconds: 30}
const web: DeploymentInput = {...source, type: 'web', command: 'node server.js', size: 'Standard-1X', replicas: 3}

/** kubernetes-models' validate() throws with every error; the assertion shows them. */
function valid(validate: () => void): void {
  assert.doesNotThrow(validate)
}

describe('kubernetes runtime: manifest builders', () => {
  it('a Namespace per app, named by the prefix', () => {
    const ns = buildNamespace(namespaceName('tug-', 'shop'), 'shop')
    assert.equal(ns.metadata?.name, 'tug-shop')
    valid(() => new Namespace(ns as ConstructorParameters<typeof Namespace>[0]).validate())
  })

  it('an immutable Secret per release with the config vars base64-encoded', () => {
    const secret = buildConfigSecret('shop', 7, {DATABASE_URL: 'postgres://x', EMPTY: ''})
    assert.equal(secret.metadata?.name, 'config-v7')
    assert.equal(secret.immutable, true)
    assert.equal(Buffer.from(secret.data?.DATABASE_URL ?? '', 'base64').toString(), 'postgres://x')
    assert.equal(secret.data?.EMPTY, '')
    valid(() => new Secret(secret as ConstructorParameters<typeof Secret>[0]).validate())
  })

  it('a web Deployment: replicas, resources from the size, readiness on PORT, the slug init container, bash -c in /app', () => {
    const deployment = buildDeployment(web)
    valid(() => new Deployment(deployment as ConstructorParameters<typeof Deployment>[0]).validate())
    assert.equal(deployment.metadata?.name, 'web')
    assert.equal(deployment.spec?.replicas, 3)
    const pod = deployment.spec?.template.spec
    const container = pod?.containers[0]
    assert.equal(container?.name, 'app')
    assert.equal(container?.workingDir, '/app')
    assert.deepEqual(container?.command?.slice(0, 2), ['bash', '-c'])
    assert.match(container?.command?.[2] ?? '', /node server\.js$/)
    assert.deepEqual(container?.readinessProbe?.tcpSocket, {port: CONTAINER_PORT})
    assert.equal(container?.env?.find((e) => e.name === 'PORT')?.value, '5000')
    assert.equal(container?.env?.find((e) => e.name === 'DYNO')?.valueFrom?.fieldRef?.fieldPath, 'metadata.name')
    assert.deepEqual(container?.envFrom, [{secretRef: {name: 'config-v7'}}])
    // Standard-1X: 512 MiB quota requested, twice that the hard limit (R15), one CPU's share.
    assert.deepEqual(container?.resources, {requests: {cpu: '1000m', memory: String(512 * 1024 ** 2)}, limits: {memory: String(1024 * 1024 ** 2)}})
    const init = pod?.initContainers?.[0]
    assert.equal(init?.env?.find((e) => e.name === 'TUG_SLUG_URL')?.value, source.slugUrl)
    assert.deepEqual(init?.volumeMounts?.[0], {name: 'app', mountPath: '/app'})
    assert.deepEqual(pod?.volumes, [{name: 'app', emptyDir: {}}, {name: 'tmp', emptyDir: {}}])
    assert.equal(pod?.restartPolicy, 'Always')
    assert.deepEqual(deployment.spec?.selector.matchLabels, {'tug.dev/app': 'shop', 'tug.dev/type': 'web'})
    assert.equal(deployment.spec?.template.metadata?.labels?.['tug.dev/type'], 'web')
  })

  it('a worker Deployment has no port and no probe; a restart is a template annotation', () => {
    const deployment = buildDeployment({...web, type: 'worker', command: 'node worker.js', size: 'Performance-M', restartedAt: '2026-12-06T01:00:00.000Z'})
    valid(() => new Deployment(deployment as ConstructorParameters<typeof Deployment>[0]).validate())
    const container = deployment.spec?.template.spec?.containers[0]
    assert.equal(container?.readinessProbe, undefined)
    assert.equal(container?.ports, undefined)
    assert.equal(deployment.spec?.template.metadata?.annotations?.[ANNOTATION_RESTARTED_AT], '2026-12-06T01:00:00.000Z')
    assert.deepEqual(resourcesFor('Performance-M').requests, {cpu: '2000m', memory: String(2.5 * 1024 ** 3)})
  })

  it('Service web selects the web pods', () => {
    const service = buildWebService('shop')
    valid(() => new Service(service as ConstructorParameters<typeof Service>[0]).validate())
    assert.deepEqual(service.spec?.selector, {'tug.dev/app': 'shop', 'tug.dev/type': 'web'})
    assert.equal(service.spec?.ports?.[0]?.targetPort, CONTAINER_PORT)
  })

  it('a one-off Job: never retried, deadline from time_to_live, removed after it finishes, stdin for attached runs', () => {
    const job = buildJob({...source, jobName: 'run-3', dynoId: '0b6a5c4e-0000-4000-8000-000000000001', dynoName: 'run.3', type: 'run', command: 'rake db:migrate', size: 'Standard-2X', env: {COLUMNS: '120'}, timeToLive: 120, stdio: {tty: true}})
    valid(() => new Job(job as ConstructorParameters<typeof Job>[0]).validate())
    assert.equal(job.spec?.backoffLimit, 0)
    assert.equal(job.spec?.activeDeadlineSeconds, 120)
    assert.ok((job.spec?.ttlSecondsAfterFinished ?? 0) > 0)
    const pod = job.spec?.template.spec
    assert.equal(pod?.restartPolicy, 'Never')
    const container = pod?.containers[0]
    assert.equal(container?.stdin, true)
    assert.equal(container?.stdinOnce, true)
    assert.equal(container?.tty, true)
    assert.equal(container?.env?.find((e) => e.name === 'DYNO')?.value, 'run.3')
    assert.equal(container?.env?.find((e) => e.name === 'COLUMNS')?.value, '120')
    const detached = buildJob({...source, jobName: 'release-v7', dynoId: 'x', dynoName: 'release.1', type: 'release', command: 'true', size: 'Standard-1X', env: {}, timeToLive: null})
    valid(() => new Job(detached as ConstructorParameters<typeof Job>[0]).validate())
    assert.equal(detached.spec?.activeDeadlineSeconds, 86_400)
    assert.equal(detached.spec?.template.spec?.containers[0]?.stdin, undefined)
  })

  it('the schema check can fail: a broken Deployment is refused', () => {
    const broken = buildDeployment(web) as unknown as {spec: {replicas: unknown; template: {spec: {containers: unknown}}}}
    broken.spec.replicas = 'three'
    assert.throws(() => new Deployment(broken as ConstructorParameters<typeof Deployment>[0]).validate())
  })

  it("a Procfile type that is no DNS label gets a Deployment name that is, the type kept in its label", () => {
    assert.equal(deploymentName('Worker_2'), 'worker-2')
    const deployment = buildDeployment({...web, type: 'Worker_2'})
    valid(() => new Deployment(deployment as ConstructorParameters<typeof Deployment>[0]).validate())
    assert.equal(deployment.metadata?.name, 'worker-2')
    assert.equal(deployment.metadata?.labels?.['tug.dev/type'], 'Worker_2')
  })

  it('every pod is isolated: no token, not root, no escalation, no capabilities, seccomp, a read-only image with /app and /tmp its own', () => {
    const job = buildJob({...source, jobName: 'run-1', dynoId: 'x', dynoName: 'run.1', type: 'run', command: 'bash', size: 'Standard-1X', env: {}, timeToLive: null})
    for (const pod of [buildDeployment(web).spec?.template.spec, buildDeployment({...web, type: 'worker'}).spec?.template.spec, job.spec?.template.spec]) {
      assert.equal(pod?.automountServiceAccountToken, false)
      assert.equal(pod?.securityContext?.runAsNonRoot, true)
      assert.equal(pod?.securityContext?.runAsUser, 1001)
      assert.deepEqual(pod?.securityContext?.seccompProfile, {type: 'RuntimeDefault'})
      assert.deepEqual(pod?.volumes, [{name: 'app', emptyDir: {}}, {name: 'tmp', emptyDir: {}}])
      for (const container of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
        assert.equal(container.securityContext?.allowPrivilegeEscalation, false, container.name)
        assert.equal(container.securityContext?.readOnlyRootFilesystem, true, container.name)
        assert.deepEqual(container.securityContext?.capabilities?.drop, ['ALL'], container.name)
        assert.deepEqual(container.volumeMounts, [{name: 'app', mountPath: '/app'}, {name: 'tmp', mountPath: '/tmp'}], container.name)
      }
    }
  })

  it('a web pod sleeps before its SIGTERM (the router stops sending first), never more than half its grace', () => {
    assert.deepEqual(buildDeployment(web).spec?.template.spec?.containers[0]?.lifecycle?.preStop?.exec?.command, ['sleep', '5'])
    assert.deepEqual(buildDeployment({...web, stopGraceSeconds: 4}).spec?.template.spec?.containers[0]?.lifecycle?.preStop?.exec?.command, ['sleep', '2'])
    assert.equal(buildDeployment({...web, stopGraceSeconds: 1}).spec?.template.spec?.containers[0]?.lifecycle, undefined)
    assert.equal(buildDeployment({...web, type: 'worker'}).spec?.template.spec?.containers[0]?.lifecycle, undefined)
  })

  it("a NetworkPolicy per app: ingress from the control plane's namespace only, egress to DNS, the slug port and public addresses", async function () {
    this.timeout(30_000)
    const policy = buildNetworkPolicy({appName: 'shop', controlPlaneNamespace: 'tug', slugUrlBase: 'http://tug.tug.svc.cluster.local:5055'})
    // As client-node sends it (its `_from` is the API's `from`), checked by the fake against the schema.
    const fake = await startFakeKubernetes()
    let wire: {spec: {ingress: unknown; egress: {to: {ipBlock?: {cidr: string; except?: string[]}}[]; ports?: unknown}[]; podSelector: unknown; policyTypes: string[]}}
    try {
      const api = new KubeApi(fake.kubeConfig())
      await api.ensureNamespace(buildNamespace('tug-shop', 'shop'))
      await api.ensureNetworkPolicy('tug-shop', policy)
      await api.ensureNetworkPolicy('tug-shop', policy) // made once: AlreadyExists is fine
      assert.deepEqual(fake.invalid, [])
      wire = fake.get('NetworkPolicy', 'tug-shop', 'tug-isolation') as unknown as typeof wire
    } finally {
      await fake.close()
    }
    assert.deepEqual(wire.spec.podSelector, {})
    assert.deepEqual(wire.spec.policyTypes, ['Ingress', 'Egress'])
    assert.deepEqual(wire.spec.ingress, [{from: [{namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': 'tug'}}}], ports: [{protocol: 'TCP', port: CONTAINER_PORT}]}])
    assert.deepEqual(wire.spec.egress[1]?.ports, [{protocol: 'TCP', port: 5055}])
    const open = wire.spec.egress[2]?.to[0]?.ipBlock
    assert.equal(open?.cidr, '0.0.0.0/0')
    for (const range of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16']) assert.ok(open?.except?.includes(range), range)
    assert.deepEqual(open?.except, PRIVATE_V4)
    // A control plane outside the cluster (test:k8s on kind): its address is let through too.
    const outside = buildNetworkPolicy({appName: 'shop', controlPlaneNamespace: 'tug', slugUrlBase: 'http://172.18.0.1:5055/'})
    assert.deepEqual(outside.spec?.egress?.[1]?.to?.[1], {ipBlock: {cidr: '172.18.0.1/32'}})
    assert.deepEqual(slugEndpoint('https://tug.example.com'), {port: 443})
    assert.deepEqual(slugEndpoint('http://[::1]:8080'), {port: 8080, ip: '::1'})
  })

  it('a Procfile type that is no valid label value (_job, 100 characters) gets a label that is, its type in an annotation read back', () => {
    for (const type of ['_job', 'w'.repeat(100), 'worker-']) {
      const deployment = buildDeployment({...web, type})
      const job = buildJob({...source, jobName: 'run-1', dynoId: 'x', dynoName: 'run.1', type, command: 'true', size: 'Standard-1X', env: {}, timeToLive: null})
      for (const object of [deployment, job]) {
        assert.deepEqual(metadataErrors(object as unknown as KubeObject), [], `${type}: the API server's name and label checks`)
      }
      const label = deployment.metadata?.labels?.['tug.dev/type'] ?? ''
      assert.ok(label.length <= 63 && label !== type, label)
      assert.deepEqual(deployment.spec?.selector.matchLabels?.['tug.dev/type'], label)
      assert.equal(typeOf(deployment.metadata), type)
      assert.equal(typeOf(deployment.spec?.template.metadata), type)
      assert.equal(typeOf(job.spec?.template.metadata), type)
    }
    // Two types with one DNS form keep apart selectors; a valid type is its own label, no annotation.
    assert.notEqual(typeLabelValue('_job'), typeLabelValue('-job'))
    assert.equal(typeLabelValue('Worker_2'), 'Worker_2')
    assert.equal(buildDeployment(web).spec?.template.metadata?.annotations?.['tug.dev/type'], undefined)
    // The check this relies on refuses the raw type as a label.
    assert.notDeepEqual(metadataErrors({apiVersion: 'v1', kind: 'Pod', metadata: {name: 'p', labels: {'tug.dev/type': '_job'}}} as unknown as KubeObject), [])
  })

  it('job names are DNS labels', () => {
    assert.equal(jobNameFor('run.3'), 'run-3')
    assert.equal(jobNameFor('scheduler.12'), 'scheduler-12')
  })
})
