// The resources the fake serves, as the real API names them: group/version, plural, kind, scope.

export interface ResourceType {
  group: string // '' for the core group
  version: string
  plural: string
  kind: string
  namespaced: boolean
  /** Has a status subresource: writes to the object itself keep the stored status. */
  status: boolean
  shortNames?: string[]
}

export const RESOURCES: readonly ResourceType[] = [
  {group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false, status: true},
  {group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true, status: true},
  {group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true, status: false},
  {group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true, status: false},
  {group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true, status: true},
  {group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true, status: false},
  {group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true, status: false},
  {group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true, status: true},
  {group: 'apps', version: 'v1', plural: 'replicasets', kind: 'ReplicaSet', namespaced: true, status: true},
  {group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job', namespaced: true, status: true},
  {group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true, status: false},
  {group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', kind: 'EndpointSlice', namespaced: true, status: false},
]

export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`
}

export function resourceByKind(kind: string): ResourceType {
  const type = RESOURCES.find((candidate) => candidate.kind === kind)
  if (!type) throw new Error(`the fake Kubernetes API server does not serve kind ${kind}`)
  return type
}

export function resourceByPath(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCES.find((type) => type.group === group && type.version === version && type.plural === plural)
}

/** The API path of a collection (namespace given) or of a cluster-wide list. */
export function collectionPath(type: ResourceType, namespace?: string): string {
  const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`
  return type.namespaced && namespace ? `${base}/namespaces/${namespace}/${type.plural}` : `${base}/${type.plural}`
}
