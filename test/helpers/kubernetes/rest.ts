// The HTTP face of the fake API server: the real REST paths, bearer-token auth, list/get/create/
// replace/patch/delete, the status and scale subresources, `?watch=true` streams, and errors as
// Status objects. Pod logs and exec/attach are handed to the kubelet and streams modules.
import type {IncomingMessage, ServerResponse} from 'node:http'
import {loadYaml} from '@kubernetes/client-node'
import type {Cluster, DeleteOptions} from './cluster.js'
import {ApiError, badRequest} from './errors.js'
import {apiVersionOf, RESOURCES, resourceByPath, type ResourceType} from './resources.js'
import {parseFieldSelector, parseLabelSelector, SelectorError} from './selectors.js'
import type {RecordedRequest, KubeObject} from './types.js'

export const FAKE_TOKEN = 'fake-token'

export interface ParsedPath {
  type: ResourceType
  namespace?: string
  name?: string
  subresource?: string
}

/** /api/v1/namespaces/ns/pods/name/log -> {type: pods, namespace, name, subresource: 'log'}. */
export function parsePath(path: string): ParsedPath | undefined {
  const parts = path.split('/').filter((part) => part !== '').map(decodeURIComponent)
  let group: string
  let version: string
  let rest: string[]
  if (parts[0] === 'api' && parts.length >= 2) {
    group = ''
    version = parts[1] as string
    rest = parts.slice(2)
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1] as string
    version = parts[2] as string
    rest = parts.slice(3)
  } else return undefined
  let namespace: string | undefined
  if (rest[0] === 'namespaces' && rest.length >= 3 && resourceByPath(group, version, rest[2] as string)) {
    namespace = rest[1]
    rest = rest.slice(2)
  }
  const type = resourceByPath(group, version, rest[0] ?? '')
  if (!type || rest.length > 3) return undefined
  if (namespace === undefined && type.namespaced && rest.length > 1) return undefined
  return {type, namespace, name: rest[1], subresource: rest[2]}
}

export function firstQuery(url: URL): Record<string, string> {
  const query: Record<string, string> = {}
  for (const [key, value] of url.searchParams) query[key] ??= value
  return query
}

export function authorized(request: IncomingMessage): boolean {
  return request.headers.authorization === `Bearer ${FAKE_TOKEN}`
}

function send(response: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  response.writeHead(code, {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers})
  response.end(text)
}

export function sendError(response: ServerResponse, error: unknown): void {
  const apiError = error instanceof ApiError ? error : new ApiError(500, 'InternalError', `the fake API server failed: ${(error as Error).stack ?? String(error)}`)
  if (response.headersSent) {
    response.destroy()
    return
  }
  send(response, apiError.code, apiError.toStatus())
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text === '') return undefined
  try {
    return contentType === 'application/apply-patch+yaml' ? loadYaml(text) : JSON.parse(text)
  } catch (error) {
    throw badRequest(`the request body is not valid ${contentType === 'application/apply-patch+yaml' ? 'YAML' : 'JSON'}: ${(error as Error).message}`)
  }
}

function boolean(value: string | undefined): boolean {
  return value === 'true' || value === '1'
}

function listItem(object: KubeObject): Omit<KubeObject, 'apiVersion' | 'kind'> {
  // A typed list's items carry no apiVersion/kind in a real API server's answer.
  const {apiVersion: _apiVersion, kind: _kind, ...rest} = object
  return rest
}

function discovery(response: ServerResponse, path: string): boolean {
  if (path === '/version') {
    send(response, 200, {major: '1', minor: '34', gitVersion: 'v1.34.0-fake', platform: 'linux/amd64'})
    return true
  }
  if (path === '/api') {
    send(response, 200, {kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: []})
    return true
  }
  const groups = [...new Set(RESOURCES.filter((type) => type.group !== '').map((type) => `${type.group}/${type.version}`))]
  if (path === '/apis') {
    send(response, 200, {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: groups.map((groupVersion) => {
        const [name, version] = groupVersion.split('/') as [string, string]
        return {name, versions: [{groupVersion, version}], preferredVersion: {groupVersion, version}}
      }),
    })
    return true
  }
  const match = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path)
  if (!match) return false
  const group = match[2] ?? ''
  const version = match[1] ?? match[3]
  const types = RESOURCES.filter((type) => type.group === group && type.version === version)
  if (types.length === 0) return false
  send(response, 200, {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources: types.map((type) => ({
      name: type.plural,
      singularName: type.kind.toLowerCase(),
      namespaced: type.namespaced,
      kind: type.kind,
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    })),
  })
  return true
}

export interface RestOptions {
  cluster: Cluster
  requests: RecordedRequest[]
  /** GET .../pods/{name}/log, served by the kubelet. */
  podLog(response: ServerResponse, namespace: string, name: string, query: URLSearchParams): void
  /** Called for every watch stream, so close() can end them. */
  trackWatch(end: () => void): () => void
  bookmarkMs: number
}

export async function handleRest(request: IncomingMessage, response: ServerResponse, options: RestOptions): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://fake')
  const contentType = request.headers['content-type']?.split(';')[0]?.trim()
  const text = await readBody(request)
  const record: RecordedRequest = {method: request.method ?? 'GET', path: url.pathname, query: firstQuery(url), contentType, at: Date.now()}
  options.requests.push(record)
  try {
    if (!authorized(request)) throw new ApiError(401, 'Unauthorized', 'Unauthorized: send the bearer token of the fake kubeconfig')
    record.body = parseBody(text, contentType)
    if (discovery(response, url.pathname)) return
    const parsed = parsePath(url.pathname)
    if (!parsed) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${request.method} ${url.pathname})`)
    serve(request.method ?? 'GET', parsed, url, contentType, record.body, response, options)
  } catch (error) {
    if (error instanceof SelectorError) sendError(response, badRequest(error.message))
    else sendError(response, error)
  }
}

function serve(method: string, parsed: ParsedPath, url: URL, contentType: string | undefined, body: unknown, response: ServerResponse, options: RestOptions): void {
  const {cluster} = options
  const {type, namespace, name, subresource} = parsed
  const query = url.searchParams
  const context = {method, path: url.pathname, dryRun: query.get('dryRun') === 'All', fieldManager: query.get('fieldManager') ?? undefined}
  if (name === undefined) {
    if (method === 'GET' && boolean(query.get('watch') ?? undefined)) return watch(parsed, query, response, options)
    if (method === 'GET') return list(parsed, query, response, options)
    if (method === 'POST') return send(response, 201, cluster.create(type, namespace, body, context))
    if (method === 'DELETE') {
      const matches = parseLabelSelector(query.get('labelSelector') ?? undefined)
      const fields = parseFieldSelector(query.get('fieldSelector') ?? undefined)
      const items = cluster.store.list(type.kind, namespace).filter((object) => matches(object) && fields(object))
      for (const object of items) cluster.deleteObject(object, deleteOptions(query, body))
      return send(response, 200, {kind: `${type.kind}List`, apiVersion: apiVersionOf(type), metadata: {resourceVersion: cluster.store.resourceVersion}, items: items.map(listItem)})
    }
    throw new ApiError(405, 'MethodNotAllowed', `${method} is not supported on ${url.pathname}`)
  }
  if (subresource === undefined) {
    if (method === 'GET') return send(response, 200, cluster.getOrThrow(type, namespace, name))
    if (method === 'PUT') return send(response, 200, cluster.replace(type, namespace, name, body, context))
    if (method === 'PATCH') {
      const existed = cluster.store.get(type.kind, namespace, name) !== undefined
      const object = cluster.patch(type, namespace, name, contentType ?? '', body, context)
      return send(response, existed ? 200 : 201, object)
    }
    if (method === 'DELETE') {
      const result = cluster.delete(type, namespace, name, deleteOptions(query, body), context)
      return send(response, 200, result.body, result.warning ? {Warning: `299 - "${result.warning}"`} : {})
    }
    throw new ApiError(405, 'MethodNotAllowed', `${method} is not supported on ${url.pathname}`)
  }
  if (subresource === 'status' && type.status) {
    if (method === 'GET') return send(response, 200, cluster.getOrThrow(type, namespace, name))
    if (method === 'PUT') return send(response, 200, cluster.replaceStatus(type, namespace, name, body, context))
    if (method === 'PATCH') return send(response, 200, cluster.patch(type, namespace, name, contentType ?? '', body, context, 'status'))
  }
  if (subresource === 'scale' && (type.kind === 'Deployment' || type.kind === 'ReplicaSet')) {
    if (method === 'GET') return send(response, 200, cluster.scaleOf(cluster.getOrThrow(type, namespace, name)))
    if (method === 'PUT') return send(response, 200, cluster.writeScale(type, namespace as string, name, undefined, body, context))
    if (method === 'PATCH') return send(response, 200, cluster.writeScale(type, namespace as string, name, contentType ?? '', body, context))
  }
  if (subresource === 'log' && type.kind === 'Pod' && method === 'GET') return options.podLog(response, namespace as string, name, query)
  if ((subresource === 'exec' || subresource === 'attach') && type.kind === 'Pod') {
    throw badRequest(`Upgrade request required: ${subresource} speaks WebSocket (subprotocol v5.channel.k8s.io)`)
  }
  throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${method} ${url.pathname})`)
}

function deleteOptions(query: URLSearchParams, body: unknown): DeleteOptions {
  const fromBody = (body ?? {}) as {gracePeriodSeconds?: number; propagationPolicy?: DeleteOptions['propagationPolicy']}
  const grace = query.get('gracePeriodSeconds')
  const policy = query.get('propagationPolicy') as DeleteOptions['propagationPolicy'] | null
  if (policy && !['Background', 'Foreground', 'Orphan'].includes(policy)) throw badRequest(`propagationPolicy must be Background, Foreground or Orphan, not ${JSON.stringify(policy)}`)
  return {gracePeriodSeconds: grace !== null ? Number(grace) : fromBody.gracePeriodSeconds, propagationPolicy: policy ?? fromBody.propagationPolicy}
}

function list(parsed: ParsedPath, query: URLSearchParams, response: ServerResponse, options: RestOptions): void {
  const {type, namespace} = parsed
  const labels = parseLabelSelector(query.get('labelSelector') ?? undefined)
  const fields = parseFieldSelector(query.get('fieldSelector') ?? undefined)
  const items = options.cluster.store.list(type.kind, namespace).filter((object) => labels(object) && fields(object))
  // limit/continue: a page, and a token for the rest (the offset; the fake keeps no snapshots).
  const limit = Number(query.get('limit') ?? '0')
  const token = query.get('continue')
  let start = 0
  if (token) {
    start = Number(Buffer.from(token, 'base64url').toString('utf8'))
    if (!Number.isInteger(start) || start < 0) throw badRequest(`continue ${JSON.stringify(token)} is not a token this server gave`)
  }
  const end = limit > 0 ? start + limit : items.length
  const metadata: Record<string, string | number> = {resourceVersion: options.cluster.store.resourceVersion}
  if (end < items.length) {
    metadata.continue = Buffer.from(String(end)).toString('base64url')
    metadata.remainingItemCount = items.length - end
  }
  send(response, 200, {kind: `${type.kind}List`, apiVersion: apiVersionOf(type), metadata, items: items.slice(start, end).map(listItem)})
}

function watch(parsed: ParsedPath, query: URLSearchParams, response: ServerResponse, options: RestOptions): void {
  const {type, namespace} = parsed
  const store = options.cluster.store
  const labels = parseLabelSelector(query.get('labelSelector') ?? undefined)
  const fields = parseFieldSelector(query.get('fieldSelector') ?? undefined)
  const rvText = query.get('resourceVersion')
  const from = rvText === null || rvText === '' ? undefined : Number(rvText)
  if (from !== undefined && !Number.isInteger(from)) throw badRequest(`resourceVersion ${JSON.stringify(rvText)} is not a valid resource version`)
  response.writeHead(200, {'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked'})
  response.flushHeaders()
  const write = (kind: string, object: unknown): void => {
    if (!response.writableEnded) response.write(`${JSON.stringify({type: kind, object})}\n`)
  }
  let stop = (): void => {}
  let untrack = (): void => {}
  const timers: NodeJS.Timeout[] = []
  const end = (): void => {
    stop()
    untrack()
    for (const timer of timers) clearInterval(timer)
    if (!response.writableEnded) response.end()
  }
  const result = store.watch(type, namespace, (object) => labels(object) && fields(object), from, {event: write, close: end})
  if (result === 'gone') {
    write('ERROR', {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `too old resource version: ${from} (${store.compactedResourceVersion})`,
      reason: 'Expired',
      code: 410,
    })
    response.end()
    return
  }
  stop = result
  untrack = options.trackWatch(end)
  response.on('close', end)
  if (boolean(query.get('allowWatchBookmarks') ?? undefined)) {
    timers.push(setInterval(() => write('BOOKMARK', {kind: type.kind, apiVersion: apiVersionOf(type), metadata: {resourceVersion: store.resourceVersion}}), options.bookmarkMs))
  }
  const timeout = Number(query.get('timeoutSeconds') ?? '')
  if (timeout > 0) timers.push(setTimeout(end, timeout * 1000))
}
