// The patch formats the API server accepts. Note for clients (K2): @kubernetes/client-node 1.x
// sends every patch call with the FIRST content type its OpenAPI spec lists,
// `application/json-patch+json`, unless told otherwise; a merge-patch body (an object) sent that
// way is refused (400) by a real API server and by this fake. Set the header per call with the
// options argument, e.g.
//   import {PatchStrategy, setHeaderOptions} from '@kubernetes/client-node'
//   await apps.patchNamespacedDeploymentScale({name, namespace, body: {spec: {replicas: 5}}},
//     setHeaderOptions('Content-Type', PatchStrategy.MergePatch))
// (server-side apply: PatchStrategy.ServerSideApply plus `fieldManager` in the call's params).
import type {Json, JsonObject} from './types.js'

export class PatchError extends Error {}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch)
  const out: JsonObject = isObject(target) ? {...target} : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key]
    else out[key] = mergePatch(out[key], value)
  }
  return out
}

/**
 * Strategic merge patch, approximated: maps merge as in a merge patch; lists whose items all carry
 * a `name` (containers, env, ports, volumes) merge by name; other lists are replaced.
 * `$patch: delete` on a named item removes it.
 */
export function strategicMergePatch(target: Json | undefined, patch: Json): Json {
  if (Array.isArray(patch) && Array.isArray(target) && [...patch, ...target].every((item) => isObject(item) && typeof item.name === 'string')) {
    const out = target.map((item) => structuredClone(item))
    for (const item of patch as JsonObject[]) {
      const index = out.findIndex((existing) => (existing as JsonObject).name === item.name)
      if (item.$patch === 'delete') {
        if (index >= 0) out.splice(index, 1)
      } else if (index >= 0) out[index] = strategicMergePatch(out[index], item)
      else out.push(structuredClone(item))
    }
    return out
  }
  if (!isObject(patch)) return structuredClone(patch)
  const out: JsonObject = isObject(target) ? {...target} : {}
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue
    if (value === null) delete out[key]
    else out[key] = strategicMergePatch(out[key], value)
  }
  return out
}

function decodePointer(pointer: string): string[] {
  if (pointer === '') return []
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer ${JSON.stringify(pointer)}`)
  return pointer.slice(1).split('/').map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'))
}

function parentOf(document: Json, tokens: string[], op: string): {parent: JsonObject | Json[]; last: string} {
  let current: Json = document
  for (const token of tokens.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(current) ? current[Number(token)] : isObject(current) ? current[token] : undefined
    if (next === undefined) throw new PatchError(`${op} operation does not apply: doc is missing path: /${tokens.join('/')}`)
    current = next
  }
  if (!Array.isArray(current) && !isObject(current)) throw new PatchError(`${op}: /${tokens.join('/')} has no parent object`)
  return {parent: current, last: tokens[tokens.length - 1] as string}
}

function getAt(document: Json, pointer: string, op: string): Json {
  let current: Json | undefined = document
  for (const token of decodePointer(pointer)) {
    current = Array.isArray(current) ? current[Number(token)] : isObject(current) ? current[token] : undefined
    if (current === undefined) throw new PatchError(`${op} operation does not apply: doc is missing path: ${pointer}`)
  }
  return current
}

function removeAt(document: Json, pointer: string, op: string): Json {
  const {parent, last} = parentOf(document, decodePointer(pointer), op)
  if (Array.isArray(parent)) {
    const index = Number(last)
    if (!(index >= 0 && index < parent.length)) throw new PatchError(`${op} operation does not apply: doc is missing path: ${pointer}`)
    return parent.splice(index, 1)[0] as Json
  }
  if (!(last in parent)) throw new PatchError(`${op} operation does not apply: doc is missing path: ${pointer}`)
  const value = parent[last] as Json
  delete parent[last]
  return value
}

function addAt(document: Json, pointer: string, value: Json, op: string, replace: boolean): Json {
  const tokens = decodePointer(pointer)
  if (tokens.length === 0) return value
  const {parent, last} = parentOf(document, tokens, op)
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last)
    if (!(index >= 0 && index <= parent.length)) throw new PatchError(`${op}: index out of range in ${pointer}`)
    if (replace) parent[index] = value
    else parent.splice(index, 0, value)
  } else {
    if (replace && !(last in parent)) throw new PatchError(`${op} operation does not apply: doc is missing key: ${pointer}`)
    parent[last] = value
  }
  return document
}

/** RFC 6902 JSON patch. */
export function jsonPatch(target: Json, operations: unknown): Json {
  if (!Array.isArray(operations)) {
    throw new PatchError('the body of an application/json-patch+json patch must be a list of operations ([{"op": "replace", "path": ..., "value": ...}]); to send a merge patch set Content-Type: application/merge-patch+json')
  }
  let document = structuredClone(target)
  for (const operation of operations as {op?: string; path?: string; from?: string; value?: Json}[]) {
    const {op, path} = operation
    if (typeof op !== 'string' || typeof path !== 'string') throw new PatchError(`each JSON patch operation needs "op" and "path": ${JSON.stringify(operation)}`)
    if (op === 'add') document = addAt(document, path, structuredClone(operation.value ?? null), op, false)
    else if (op === 'replace') document = addAt(document, path, structuredClone(operation.value ?? null), op, true)
    else if (op === 'remove') removeAt(document, path, op)
    else if (op === 'test') {
      if (JSON.stringify(getAt(document, path, op)) !== JSON.stringify(operation.value)) throw new PatchError(`testing value ${path} failed`)
    } else if (op === 'move' || op === 'copy') {
      if (typeof operation.from !== 'string') throw new PatchError(`${op} needs "from"`)
      const value = op === 'move' ? removeAt(document, operation.from, op) : structuredClone(getAt(document, operation.from, op))
      document = addAt(document, path, value, op, false)
    } else throw new PatchError(`unknown JSON patch op ${JSON.stringify(op)}`)
  }
  return document
}
