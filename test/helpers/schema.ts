// Response bodies checked against the Platform API's JSON hyper-schema subset (a copy of
// ../shared/schema/heroku-platform-api.subset.schema.json, heroku/platform-api schema.json at
// 4f4f592c, kept beside this file so the tests do not reach outside the repository).
//
// The schema is draft-04 interagent hyper-schema; ajv 8 reads it with `strict: false` once the
// `$schema`/`id` keys are dropped and the internal `$ref`s resolve against one registered root.
// `strictProperties: true` is not a JSON-Schema keyword ajv knows, so the "none missing" half is
// checked here by walking the schema: every property it lists must be present in the value.
//
// Two patterns are relaxed, both Heroku-domain specific: `web_url` (`…\.herokuapp\.com/`) and
// `git_url` (`https://git\.heroku\.com/…`); platform-api.md 2.1 recommends our own domain.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {Ajv, type ValidateFunction} from 'ajv'

type Json = null | boolean | number | string | Json[] | {[key: string]: Json}
type JsonObject = {[key: string]: Json}

const ROOT_ID = 'tug-schema'
const schema = JSON.parse(readFileSync(new URL('./heroku-platform-api.subset.schema.json', import.meta.url), 'utf8')) as JsonObject

function strip(node: Json): Json {
  if (Array.isArray(node)) return node.map(strip)
  if (node === null || typeof node !== 'object') return node
  const out: JsonObject = {}
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || (key === 'id' && typeof value === 'string')) continue
    out[key] = strip(value)
  }
  return out
}

const root = strip(schema) as JsonObject
const definitions = root.definitions as Record<string, JsonObject>
const appDefs = (definitions.app as JsonObject).definitions as Record<string, JsonObject>
delete (appDefs.web_url as JsonObject).pattern
delete (appDefs.git_url as JsonObject).pattern

const ajv = new Ajv({strict: false, allErrors: true, validateFormats: true})
ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/)
ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
ajv.addFormat('uri', /^[a-z][a-z0-9+.-]*:\S+$/i)
ajv.addFormat('email', /^[^\s@]+@[^\s@]+$/)
ajv.addFormat('ipv4', /^\d{1,3}(\.\d{1,3}){3}$/)
ajv.addSchema({...root, $id: ROOT_ID})

const validators = new Map<string, ValidateFunction>()

function validatorFor(definition: string): ValidateFunction {
  let validate = validators.get(definition)
  if (!validate) {
    validate = ajv.compile({$ref: `${ROOT_ID}#/definitions/${definition}`})
    validators.set(definition, validate)
  }
  return validate
}

function resolveRef(ref: string): JsonObject {
  assert.ok(ref.startsWith('#/'), `unsupported $ref ${ref}`)
  let node: Json = root
  for (const part of ref.slice(2).split('/')) {
    node = (node as JsonObject)[decodeURIComponent(part)] as Json
    assert.ok(node !== undefined, `unresolvable $ref ${ref}`)
  }
  return node as JsonObject
}

function deref(node: JsonObject): JsonObject {
  let current = node
  while (typeof current.$ref === 'string') current = resolveRef(current.$ref)
  return current
}

/** Walks `value` along `node` and asserts that every property a schema object lists is present. */
function assertNoneMissing(node: JsonObject, value: unknown, path: string): void {
  const schemaNode = deref(node)
  if (value === null || value === undefined) return
  if (Array.isArray(value)) {
    const items = schemaNode.items
    if (items && typeof items === 'object' && !Array.isArray(items)) {
      value.forEach((item, i) => assertNoneMissing(items, item, `${path}[${i}]`))
    }
    return
  }
  if (typeof value !== 'object') return
  const properties = schemaNode.properties as Record<string, JsonObject> | undefined
  if (!properties) return
  for (const [name, propertySchema] of Object.entries(properties)) {
    assert.ok(name in (value as object), `${path}.${name} is missing (the schema lists it)`)
    assertNoneMissing(propertySchema, (value as Record<string, unknown>)[name], `${path}.${name}`)
  }
}

/** Asserts that `value` is a valid `definition` (e.g. `app`) with every listed property present. */
export function assertSchema(definition: string, value: unknown): void {
  const validate = validatorFor(definition)
  assert.ok(validate(value), `${definition} does not match the schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`)
  assertNoneMissing(definitions[definition] as JsonObject, value, definition)
}

/** Asserts that `value` is an array of valid `definition`s. */
export function assertSchemaList(definition: string, value: unknown): void {
  assert.ok(Array.isArray(value), `expected an array of ${definition}, got ${JSON.stringify(value)}`)
  value.forEach((item) => assertSchema(definition, item))
}

/** Success answers by route: the schema definition of the body, `[def]` for lists, `{}` for actions. */
const ROUTES: Array<[method: string, path: RegExp, definition: string]> = [
  ['GET|PATCH', /^\/account$/, 'account'],
  ['GET', /^\/users\/[^/]+$/, 'account'],
  ['GET', /^\/account\/rate-limits$/, 'rate-limit'],
  ['GET', /^\/(apps|users\/[^/]+\/apps)$/, '[app]'],
  ['POST', /^\/apps$/, 'app'],
  ['GET|PATCH|DELETE', /^\/apps\/[^/]+$/, 'app'],
  ['GET|PATCH', /^\/apps\/[^/]+\/formation$/, '[formation]'],
  ['GET|PATCH', /^\/apps\/[^/]+\/formation\/[^/]+$/, 'formation'],
  ['GET', /^\/apps\/[^/]+\/dynos$/, '[dyno]'],
  ['POST', /^\/apps\/[^/]+\/dynos$/, 'dyno'],
  ['GET', /^\/apps\/[^/]+\/dynos\/[^/]+$/, 'dyno'],
  ['DELETE', /^\/apps\/[^/]+\/(dynos|dynos\/[^/]+|formations\/[^/]+)$/, '{}'],
  ['POST', /^\/apps\/[^/]+\/(dynos|formations)\/[^/]+\/actions\/stop$/, '{}'],
  ['GET', /^\/(dyno-sizes|apps\/[^/]+\/available-dyno-sizes)$/, '[dyno-size]'],
  ['GET', /^\/dyno-sizes\/[^/]+$/, 'dyno-size'],
  ['GET|PATCH', /^\/apps\/[^/]+\/config-vars$/, 'config-var'],
  ['GET', /^\/apps\/[^/]+\/releases\/[^/]+\/config-vars$/, 'config-var'],
  ['GET', /^\/apps\/[^/]+\/releases$/, '[release]'],
  ['POST', /^\/apps\/[^/]+\/releases$/, 'release'],
  ['GET', /^\/apps\/[^/]+\/releases\/[^/]+$/, 'release'],
  ['POST', /^\/apps\/[^/]+\/log-sessions$/, 'log-session'],
  ['GET', /^\/apps\/[^/]+\/log-drains$/, '[log-drain]'],
  ['POST', /^\/apps\/[^/]+\/log-drains$/, 'log-drain'],
  ['GET|DELETE', /^\/apps\/[^/]+\/log-drains\/[^/]+$/, 'log-drain'],
  ['GET', /^\/apps\/[^/]+\/addons$/, '[add-on]'],
  ['GET', /^\/regions$/, '[region]'],
  ['GET', /^\/regions\/[^/]+$/, 'region'],
  ['GET', /^\/stacks$/, '[stack]'],
  ['GET', /^\/stacks\/[^/]+$/, 'stack'],
]

/** The definition a route answers with (`[def]` for a list, `{}` for an action), if known. */
export function responseDefinition(method: string, path: string): string | undefined {
  return ROUTES.find(([methods, pattern]) => methods.split('|').includes(method) && pattern.test(path))?.[2]
}

/** Checks a success body by route; routes this table does not know (other issues') are skipped. */
export function assertResponseSchema(method: string, path: string, body: unknown): void {
  const definition = responseDefinition(method, path)
  if (definition === undefined) return
  if (definition === '{}') assert.deepEqual(body, {}, `${method} ${path} answers {}`)
  else if (definition.startsWith('[')) assertSchemaList(definition.slice(1, -1), body)
  else assertSchema(definition, body)
}

/** Error bodies: `{id, message}` strings, plus the optional documented members. */
export function assertErrorBody(body: unknown, what: string): void {
  assert.ok(body !== null && typeof body === 'object' && !Array.isArray(body), `${what}: error body is not an object`)
  const {id, message, url, resource, limit} = body as Record<string, unknown>
  assert.equal(typeof id, 'string', `${what}: error id`)
  assert.equal(typeof message, 'string', `${what}: error message`)
  assert.ok(url === undefined || typeof url === 'string', `${what}: error url`)
  assert.ok(resource === undefined || typeof resource === 'string', `${what}: error resource`)
  assert.ok(limit === undefined || typeof limit === 'number', `${what}: error limit`)
}
