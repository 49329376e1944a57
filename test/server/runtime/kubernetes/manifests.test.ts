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
  type DeploymentInput,
} from '../../../../src/server/runtime/kubernetes/manifests.js'

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
    assert.deepEqual(init?.volumeMounts, [{name: 'app', mountPath: '/app'}])
    assert.deepEqual(pod?.volumes, [{name: 'app', emptyDir: {}}])
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

  it('job names are DNS labels', () => {
    assert.equal(jobNameFor('run.3'), 'run-3')
    assert.equal(jobNameFor('scheduler.12'), 'scheduler-12')
  })
})
