// docs/kubernetes.md: every ```yaml block parses, each object in it validates against the
// Kubernetes schema pinned by kubernetes-models 4.x (and the names and labels the API server
// checks), the page installs all it says, and its ClusterRole grants what the backend calls.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {loadAllYaml} from '@kubernetes/client-node'
import {metadataErrors} from './helpers/kubernetes/defaults.js'
import {schemaErrors} from './helpers/kubernetes/schema.js'
import type {KubeObject} from './helpers/kubernetes/types.js'

const PAGE = new URL('../docs/kubernetes.md', import.meta.url)

/** The YAML blocks of a Markdown page, each with the line it starts on. */
export function yamlBlocks(markdown: string): {line: number; text: string}[] {
  const blocks: {line: number; text: string}[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== '```yaml') continue
    const start = i + 1
    let end = start
    while (end < lines.length && lines[end]?.trim() !== '```') end++
    assert.ok(end < lines.length, `the yaml block at line ${start} is never closed`)
    blocks.push({line: start + 1, text: lines.slice(start, end).join('\n')})
    i = end
  }
  return blocks
}

function objects(): {line: number; object: KubeObject}[] {
  return yamlBlocks(readFileSync(PAGE, 'utf8')).flatMap(({line, text}) =>
    (loadAllYaml(text) as unknown[]).filter((doc) => doc !== null && doc !== undefined).map((doc) => ({line, object: doc as KubeObject})),
  )
}

/** What the backend (src/server/runtime/kubernetes) calls: group, resource, verb. */
const NEEDED: [string, string, string][] = [
  ['', 'namespaces', 'list'],
  ['', 'namespaces', 'create'],
  ['', 'namespaces', 'delete'],
  ['', 'secrets', 'create'],
  ['networking.k8s.io', 'networkpolicies', 'create'],
  ['', 'services', 'create'],
  ['', 'pods', 'list'],
  ['', 'pods', 'watch'],
  ['', 'pods', 'get'],
  ['', 'pods', 'delete'],
  ['', 'pods/log', 'get'],
  ['', 'pods/attach', 'get'],
  ['', 'pods/attach', 'create'],
  ['', 'pods/exec', 'create'],
  ['apps', 'deployments', 'list'],
  ['apps', 'deployments', 'create'],
  ['apps', 'deployments', 'patch'],
  ['apps', 'deployments/scale', 'patch'],
  ['batch', 'jobs', 'create'],
  ['batch', 'jobs', 'delete'],
  ['discovery.k8s.io', 'endpointslices', 'list'],
  ['discovery.k8s.io', 'endpointslices', 'watch'],
]

describe('docs/kubernetes.md manifests', () => {
  it('finds the yaml blocks of a page, and refuses an unclosed one', () => {
    assert.deepEqual(yamlBlocks('text\n```yaml\na: 1\n```\n```console\nx\n```\n'), [{line: 3, text: 'a: 1'}])
    assert.throws(() => yamlBlocks('```yaml\na: 1\n'), /never closed/)
  })

  it('every object validates against the pinned Kubernetes schema', () => {
    const found = objects()
    assert.ok(found.length > 0)
    const problems: string[] = []
    for (const {line, object} of found) {
      const what = `${object.kind} ${object.metadata?.name} (block at line ${line})`
      if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
        problems.push(`${what}: apiVersion and kind are required`)
        continue
      }
      let errors: string | undefined
      try {
        errors = schemaErrors(object.apiVersion, object.kind, object)
      } catch (error) {
        errors = (error as Error).message
      }
      if (errors) problems.push(`${what}: ${errors}`)
      for (const error of metadataErrors(object)) problems.push(`${what}: ${error.field}: ${error.message}`)
    }
    assert.deepEqual(problems, [])
  })

  it('the schema check fails on an invalid manifest (so the test above can fail)', () => {
    const [bad] = loadAllYaml('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: two\n') as KubeObject[]
    assert.match(schemaErrors('apps/v1', 'Deployment', bad) ?? '', /replicas: must be integer/)
  })

  it('installs what the page describes, the control plane with --backend kubernetes and in-cluster credentials', () => {
    const kinds = objects().map(({object}) => `${object.kind}/${object.metadata.name}`)
    for (const expected of ['Namespace/tug', 'ServiceAccount/tug', 'ClusterRole/tug-control-plane', 'ClusterRoleBinding/tug-control-plane', 'PersistentVolumeClaim/tug-data', 'Deployment/tug', 'Service/tug', 'Ingress/tug']) {
      assert.ok(kinds.includes(expected), `${expected} is on the page (found ${kinds.join(', ')})`)
    }
    const deployment = objects().find(({object}) => object.kind === 'Deployment')?.object as {spec: {template: {spec: {serviceAccountName?: string; containers: {args?: string[]}[]}}}}
    const args = deployment.spec.template.spec.containers[0]?.args ?? []
    assert.equal(args[args.indexOf('--backend') + 1], 'kubernetes')
    assert.ok(!args.includes('--kubeconfig'), 'in the cluster, the service account is the credential')
    assert.equal(deployment.spec.template.spec.serviceAccountName, 'tug')
  })

  it("the ClusterRole grants each call the backend makes, and no wildcard", () => {
    const role = objects().find(({object}) => object.kind === 'ClusterRole')?.object as unknown as {rules: {apiGroups: string[]; resources: string[]; verbs: string[]}[]}
    const grants = (group: string, resource: string, verb: string): boolean =>
      role.rules.some((rule) => rule.apiGroups.includes(group) && rule.resources.includes(resource) && rule.verbs.includes(verb))
    assert.deepEqual(NEEDED.filter(([group, resource, verb]) => !grants(group, resource, verb)).map((need) => need.join(' ')), [])
    for (const rule of role.rules) for (const list of [rule.apiGroups, rule.resources, rule.verbs]) assert.ok(!list.includes('*'), `no wildcard in ${JSON.stringify(rule)}`)
  })
})
