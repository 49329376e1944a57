// The API server's object semantics over the store: validation (schema + the API server's own
// rules, every failure recorded in `invalid`), defaulting, create/replace/patch/delete with
// preconditions, status and scale subresources, and deletion (graceful for pods, cascading by
// ownerReferences, namespaces emptied first).
import {randomBytes, randomUUID} from 'node:crypto'
import {applyDefaults, semanticErrors} from './defaults.js'
import {alreadyExists, ApiError, badRequest, conflict, invalid, notFound, type StatusObject} from './errors.js'
import {jsonPatch, mergePatch, PatchError, strategicMergePatch} from './patch.js'
import {apiVersionOf, RESOURCES, resourceByKind, type ResourceType} from './resources.js'
import {schemaErrors} from './schema.js'
import {clone, type Store} from './store.js'
import type {InvalidObject, Json, KubeObject} from './types.js'

export interface RequestContext {
  method: string
  path: string
  dryRun?: boolean
}

export interface DeleteOptions {
  gracePeriodSeconds?: number
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'
}

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'

/** The random suffix Kubernetes appends to generated names (5 characters of its alphabet). */
export function randomSuffix(length = 5): string {
  return [...randomBytes(length)].map((byte) => SUFFIX_ALPHABET[byte % SUFFIX_ALPHABET.length]).join('')
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

export interface DeleteResult {
  /** What the API answers: the object (pods, namespaces) or a Success Status. */
  body: KubeObject | StatusObject
  warning?: string
}

export class Cluster {
  readonly invalid: InvalidObject[] = []

  constructor(readonly store: Store) {}

  getOrThrow(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const object = this.store.get(type.kind, type.namespaced ? namespace : undefined, name)
    if (!object) throw notFound(type.plural, type.group, name)
    return object
  }

  /** Schema validation with kubernetes-models; a failure is recorded and answered 422. */
  private validate(context: RequestContext, type: ResourceType | {group: string; kind: string; apiVersion: string}, object: KubeObject | Record<string, unknown>): void {
    const apiVersion = 'apiVersion' in type && typeof type.apiVersion === 'string' && !('plural' in type) ? type.apiVersion : apiVersionOf(type as ResourceType)
    const errors = schemaErrors(apiVersion, type.kind, object)
    if (errors === undefined) return
    this.invalid.push({method: context.method, path: context.path, kind: type.kind, errors})
    const name = String((object as KubeObject).metadata?.name ?? '')
    throw invalid(type.kind, type.group, name, [{field: '<schema>', message: errors}])
  }

  private checkSemantics(context: RequestContext, type: ResourceType, object: KubeObject, old: KubeObject | undefined): void {
    const error = semanticErrors(object, old, type.group)
    if (!error) return
    this.invalid.push({method: context.method, path: context.path, kind: type.kind, errors: error.message})
    throw error
  }

  private asObject(type: ResourceType, namespace: string | undefined, body: unknown): KubeObject {
    if (!isObject(body)) throw badRequest(`the body must be a JSON object (a ${type.kind})`)
    const object = clone(body) as unknown as KubeObject
    if (object.kind !== undefined && object.kind !== type.kind) {
      throw badRequest(`the API version in the data (${String(object.apiVersion)}) / kind (${String(object.kind)}) does not match the expected ${apiVersionOf(type)} ${type.kind}`)
    }
    if (object.apiVersion !== undefined && object.apiVersion !== apiVersionOf(type)) {
      throw badRequest(`the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${apiVersionOf(type)})`)
    }
    object.apiVersion = apiVersionOf(type)
    object.kind = type.kind
    object.metadata = isObject(object.metadata) ? object.metadata : {}
    if (type.namespaced) {
      if (object.metadata.namespace !== undefined && object.metadata.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request')
      }
      object.metadata.namespace = namespace
    } else delete object.metadata.namespace
    return object
  }

  private checkNamespace(type: ResourceType, namespace: string | undefined): void {
    if (!type.namespaced) return
    const ns = this.store.get('Namespace', undefined, namespace as string)
    if (!ns) throw notFound('namespaces', '', namespace as string)
    if ((ns.status as {phase?: string} | undefined)?.phase === 'Terminating') {
      throw new ApiError(403, 'Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`, {name: namespace, kind: 'namespaces'})
    }
  }

  create(type: ResourceType, namespace: string | undefined, body: unknown, context: RequestContext): KubeObject {
    const object = this.asObject(type, namespace, body)
    if (!object.metadata.name && object.metadata.generateName) object.metadata.name = `${object.metadata.generateName}${randomSuffix()}`
    if (!object.metadata.name) throw invalid(type.kind, type.group, '', [{field: 'metadata.name', message: 'Required value: name or generateName is required'}])
    for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'generation']) delete object.metadata[field]
    this.validate(context, type, object)
    if (type.status && object.kind !== 'Namespace') delete object.status
    if (object.kind === 'Pod') object.status = {phase: 'Pending', qosClass: 'BestEffort'}
    object.metadata.uid = randomUUID()
    applyDefaults(object)
    this.checkSemantics(context, type, object, undefined)
    this.checkNamespace(type, namespace)
    if (this.store.get(type.kind, namespace, object.metadata.name)) throw alreadyExists(type.plural, type.group, object.metadata.name)
    if (context.dryRun) return object
    return this.store.create(object)
  }

  /** PUT: the whole object; keeps identity, and the stored status when the kind has a status subresource. */
  replace(type: ResourceType, namespace: string | undefined, name: string, body: unknown, context: RequestContext): KubeObject {
    const object = this.asObject(type, namespace, body)
    if (object.metadata.name !== undefined && object.metadata.name !== name) throw badRequest(`the name of the object (${object.metadata.name}) does not match the name on the URL (${name})`)
    object.metadata.name = name
    const current = this.getOrThrow(type, namespace, name)
    return this.write(type, current, object, context, 'main')
  }

  private write(type: ResourceType, current: KubeObject, object: KubeObject, context: RequestContext, part: 'main' | 'status'): KubeObject {
    const name = current.metadata.name as string
    const precondition = object.metadata.resourceVersion
    if (precondition !== undefined && precondition !== '' && precondition !== current.metadata.resourceVersion) throw conflict(type.plural, type.group, name)
    this.validate(context, type, object)
    let next: KubeObject
    if (part === 'status') {
      next = {...current, status: object.status}
    } else {
      next = object
      for (const field of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'namespace']) {
        if (current.metadata[field] === undefined) delete next.metadata[field]
        else next.metadata[field] = current.metadata[field]
      }
      if (type.status) next.status = current.status
      applyDefaults(next)
      if (type.kind === 'Namespace') next.status = current.status
      this.checkSemantics(context, type, next, current)
      if (next.metadata.generation !== undefined && JSON.stringify(next.spec) !== JSON.stringify(current.spec)) next.metadata.generation++
    }
    next.metadata.resourceVersion = current.metadata.resourceVersion
    if (context.dryRun) return next
    if (JSON.stringify(next) === JSON.stringify(current)) return current
    return this.store.update(next)
  }

  /** Applies a patch of `contentType` to the object (or, with `part` 'status', to its status). */
  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    body: unknown,
    context: RequestContext & {fieldManager?: string},
    part: 'main' | 'status' = 'main',
  ): KubeObject {
    const apply = contentType === 'application/apply-patch+yaml'
    if (apply && !context.fieldManager) throw badRequest('PATCH requests with Content-Type application/apply-patch+yaml need fieldManager (the name of the applier, as a query parameter)')
    const current = this.store.get(type.kind, type.namespaced ? namespace : undefined, name)
    if (!current) {
      if (apply && part === 'main') return this.create(type, namespace, body, context)
      throw notFound(type.plural, type.group, name)
    }
    const patched = this.applyPatch(contentType, current, body)
    const object = this.asObject(type, namespace, patched)
    if (object.metadata.name !== name) throw badRequest('the patch changes metadata.name, which cannot change')
    if (object.metadata.resourceVersion === current.metadata.resourceVersion) delete object.metadata.resourceVersion
    return this.write(type, current, object, context, part)
  }

  applyPatch(contentType: string, current: unknown, body: unknown): Json {
    try {
      switch (contentType) {
        case 'application/merge-patch+json':
          if (!isObject(body)) throw badRequest('a merge patch must be a JSON object')
          return mergePatch(current as Json, body as Json)
        case 'application/strategic-merge-patch+json':
        case 'application/apply-patch+yaml':
          if (!isObject(body)) throw badRequest(`a ${contentType} patch must be an object`)
          return strategicMergePatch(current as Json, body as Json)
        case 'application/json-patch+json':
          // A real API server cannot decode an object as a list of operations: 400, as here.
          if (!Array.isArray(body)) throw badRequest('the body of an application/json-patch+json patch must be a list of operations ([{"op": "replace", "path": ..., "value": ...}]); to send a merge patch set Content-Type: application/merge-patch+json (client-node: setHeaderOptions(\'Content-Type\', PatchStrategy.MergePatch))')
          return jsonPatch(current as Json, body)
        default:
          throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${JSON.stringify(contentType)})`)
      }
    } catch (error) {
      if (error instanceof PatchError) throw new ApiError(422, 'Invalid', error.message)
      throw error
    }
  }

  replaceStatus(type: ResourceType, namespace: string | undefined, name: string, body: unknown, context: RequestContext): KubeObject {
    const object = this.asObject(type, namespace, body)
    const current = this.getOrThrow(type, namespace, name)
    return this.write(type, current, object, context, 'status')
  }

  // --- scale subresource (autoscaling/v1 Scale) ---

  scaleOf(object: KubeObject): KubeObject {
    const spec = object.spec as {replicas?: number; selector?: {matchLabels?: Record<string, string>}}
    const status = (object.status ?? {}) as {replicas?: number}
    const {name, namespace, uid, resourceVersion, creationTimestamp} = object.metadata
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {name, namespace, uid, resourceVersion, creationTimestamp},
      spec: {replicas: spec.replicas ?? 1},
      status: {replicas: status.replicas ?? 0, selector: Object.entries(spec.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',')},
    }
  }

  /** PUT or PATCH of the scale subresource: changes spec.replicas only, never the pod template. */
  writeScale(type: ResourceType, namespace: string, name: string, contentType: string | undefined, body: unknown, context: RequestContext): KubeObject {
    const current = this.getOrThrow(type, namespace, name)
    const scale = contentType === undefined ? body : this.applyPatch(contentType, this.scaleOf(current), body)
    if (!isObject(scale)) throw badRequest('the body must be a Scale object')
    const errors = schemaErrors('autoscaling/v1', 'Scale', {...scale, apiVersion: 'autoscaling/v1', kind: 'Scale'})
    if (errors !== undefined) {
      this.invalid.push({method: context.method, path: context.path, kind: 'Scale', errors})
      throw invalid('Scale', 'autoscaling', name, [{field: '<schema>', message: errors}])
    }
    const meta = (scale.metadata ?? {}) as {resourceVersion?: string; name?: string}
    if (meta.name !== undefined && meta.name !== name) throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`)
    if (contentType === undefined && meta.resourceVersion && meta.resourceVersion !== current.metadata.resourceVersion) throw conflict(type.plural, type.group, name)
    const replicas = (scale.spec as {replicas?: unknown} | undefined)?.replicas ?? 0
    if (typeof replicas !== 'number' || replicas < 0) throw invalid('Scale', 'autoscaling', name, [{field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`}])
    const spec = current.spec as {replicas?: number}
    if (spec.replicas === replicas || context.dryRun) return this.scaleOf(current)
    const next = clone(current)
    ;(next.spec as {replicas?: number}).replicas = replicas
    next.metadata.generation = (next.metadata.generation ?? 1) + 1
    return this.scaleOf(this.store.update(next))
  }

  // --- deletion ---

  delete(type: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions, context: RequestContext): DeleteResult {
    const object = this.getOrThrow(type, namespace, name)
    if (context.dryRun) return {body: object}
    return this.deleteObject(object, options)
  }

  /** Deletes a stored object (controllers call this too). */
  deleteObject(object: KubeObject, options: DeleteOptions = {}): DeleteResult {
    const type = resourceByKind(object.kind)
    const {name, namespace, uid} = object.metadata as {name: string; namespace?: string; uid: string}
    if (object.kind === 'Pod') return {body: this.deletePod(object, options.gracePeriodSeconds)}
    if (object.kind === 'Namespace') return {body: this.deleteNamespace(object)}
    // batch/v1 Jobs keep the API's old default: without a propagationPolicy their pods are orphaned
    // (a real API server says so in a Warning header, as here).
    let warning: string | undefined
    let policy = options.propagationPolicy
    if (!policy) {
      policy = object.kind === 'Job' ? 'Orphan' : 'Background'
      if (object.kind === 'Job') warning = 'child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning'
    }
    this.store.remove(object.kind, namespace, name)
    this.cascade(uid, namespace, policy)
    return {body: {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: {name, group: type.group, kind: type.plural, uid}, code: 200}, warning}
  }

  private cascade(ownerUid: string, namespace: string | undefined, policy: 'Background' | 'Foreground' | 'Orphan'): void {
    for (const type of RESOURCES) {
      if (!type.namespaced || namespace === undefined) continue
      for (const dependent of this.store.list(type.kind, namespace)) {
        const refs = dependent.metadata.ownerReferences ?? []
        if (!refs.some((ref) => ref.uid === ownerUid)) continue
        if (policy === 'Orphan') {
          dependent.metadata.ownerReferences = refs.filter((ref) => ref.uid !== ownerUid)
          if (dependent.metadata.ownerReferences.length === 0) delete dependent.metadata.ownerReferences
          this.store.update(dependent)
        } else this.deleteObject(dependent, {propagationPolicy: 'Background'})
      }
    }
  }

  private deletePod(pod: KubeObject, gracePeriodSeconds: number | undefined): KubeObject {
    const spec = pod.spec as {nodeName?: string; terminationGracePeriodSeconds?: number}
    const phase = (pod.status as {phase?: string} | undefined)?.phase
    const grace = gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30
    // Never scheduled, or finished: nothing to stop, gone at once.
    if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') {
      this.store.remove('Pod', pod.metadata.namespace, pod.metadata.name as string)
      return pod
    }
    if (pod.metadata.deletionTimestamp !== undefined && (pod.metadata.deletionGracePeriodSeconds ?? 0) <= grace) return pod
    pod.metadata.deletionTimestamp = new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z')
    pod.metadata.deletionGracePeriodSeconds = grace
    // The kubelet sees deletionTimestamp, stops the containers and removes the pod.
    return this.store.update(pod)
  }

  private deleteNamespace(ns: KubeObject): KubeObject {
    const name = ns.metadata.name as string
    if (ns.metadata.deletionTimestamp === undefined) {
      ns.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
      ns.status = {phase: 'Terminating'}
      ns = this.store.update(ns)
    }
    for (const type of RESOURCES) {
      if (!type.namespaced) continue
      for (const object of this.store.list(type.kind, name)) {
        if (this.store.get(type.kind, name, object.metadata.name as string)) this.deleteObject(object, {propagationPolicy: 'Background'})
      }
    }
    this.finishNamespace(name)
    return ns
  }

  /** Removes a terminating namespace once nothing is left in it. */
  finishNamespace(name: string): void {
    const ns = this.store.get('Namespace', undefined, name)
    if (!ns || ns.metadata.deletionTimestamp === undefined) return
    if (RESOURCES.some((type) => type.namespaced && this.store.list(type.kind, name).length > 0)) return
    this.store.remove('Namespace', undefined, name)
  }
}
