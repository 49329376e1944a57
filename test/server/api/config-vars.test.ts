import assert from 'node:assert/strict'
import {after, before, describe, it} from 'mocha'
import type {Release} from '../../../src/shared/api-types.js'
import {startApiServer, type CallOptions, type TestApiServer} from '../../helpers/api-server.js'
import {assertSchema} from '../../helpers/schema.js'

describe('API: config vars', () => {
  let server: TestApiServer

  before(async () => {
    server = await startApiServer()
    await server.call('POST', '/apps', {body: {name: 'conf'}})
  })

  after(async () => {
    await server.close()
  })

  async function releases(): Promise<Array<[number, string]>> {
    return (await server.call<Release[]>('GET', '/apps/conf/releases')).body.map((r) => [r.version, r.description])
  }

  async function config(): Promise<unknown> {
    return (await server.call('GET', '/apps/conf/config-vars')).body
  }

  it('starts empty', async () => {
    const response = await server.call('GET', '/apps/conf/config-vars')
    assert.equal(response.status, 200)
    assertSchema('config-var', response.body)
    assert.deepEqual(response.body, {})
  })

  it('sets vars, answering the complete map, and makes a release "Set FOO, BAR config vars"', async () => {
    const response = await server.call('PATCH', '/apps/conf/config-vars', {body: {FOO: 'foo', BAR: 'bar'}})
    assert.equal(response.status, 200)
    assertSchema('config-var', response.body)
    assert.deepEqual(response.body, {FOO: 'foo', BAR: 'bar'})
    const more = await server.call('PATCH', '/apps/conf/config-vars', {body: {BAZ: 'a=b;c', FOO: 'foo'}})
    assert.deepEqual(more.body, {FOO: 'foo', BAR: 'bar', BAZ: 'a=b;c'})
    assert.deepEqual(await releases(), [
      [1, 'Initial release'],
      [2, 'Set FOO, BAR config vars'],
      [3, 'Set BAZ config vars'],
    ])
  })

  it('unsets with null, leaving unmentioned keys: "Remove FOO config vars"', async () => {
    const response = await server.call('PATCH', '/apps/conf/config-vars', {body: {FOO: null}})
    assert.deepEqual(response.body, {BAR: 'bar', BAZ: 'a=b;c'})
    assert.deepEqual((await releases()).at(-1), [4, 'Remove FOO config vars'])
    const both = await server.call('PATCH', '/apps/conf/config-vars', {body: {BAR: null, QUX: ''}})
    assert.deepEqual(both.body, {BAZ: 'a=b;c', QUX: ''})
    assert.deepEqual((await releases()).at(-1), [5, 'Set QUX config vars and remove BAR config vars'])
  })

  it('makes no release for a no-op patch', async () => {
    const before = await releases()
    for (const body of [{}, {BAZ: 'a=b;c'}, {MISSING: null}]) {
      const response = await server.call('PATCH', '/apps/conf/config-vars', {body})
      assert.equal(response.status, 200)
      assert.deepEqual(response.body, {BAZ: 'a=b;c', QUX: ''})
    }
    assert.deepEqual(await releases(), before)
  })

  it('rejects bad keys (`=`, NUL, dashes, empty) and non-string values with 422, changing nothing', async () => {
    const before = {config: await config(), releases: await releases()}
    const cases: Array<[unknown, string]> = [
      [{'A=B': 'x'}, 'Invalid config var name: "A=B". Names may only contain letters, digits and underscores.'],
      [{'A\u0000B': 'x'}, 'Invalid config var name: "A\\u0000B". Names may only contain letters, digits and underscores.'],
      [{'MY-VAR': 'x'}, 'Invalid config var name: "MY-VAR". Names may only contain letters, digits and underscores.'],
      [{'': 'x'}, 'Invalid config var name: "". Names may only contain letters, digits and underscores.'],
      [{'ÜBER': 'x'}, 'Invalid config var name: "ÜBER". Names may only contain letters, digits and underscores.'],
      [{OK: 'fine', 'NOT OK': 'x'}, 'Invalid config var name: "NOT OK". Names may only contain letters, digits and underscores.'],
      [{NUM: 5}, 'Config var values must be strings, or null to unset (NUM).'],
      [{OBJ: {a: 1}}, 'Config var values must be strings, or null to unset (OBJ).'],
      [{BOOL: true}, 'Config var values must be strings, or null to unset (BOOL).'],
      [['FOO=bar'], 'Config vars must be a JSON object of string (set) or null (unset) values.'],
      ['FOO=bar', 'Config vars must be a JSON object of string (set) or null (unset) values.'],
    ]
    for (const [body, message] of cases) {
      const response = await server.call('PATCH', '/apps/conf/config-vars', {body})
      assert.equal(response.status, 422, JSON.stringify(body))
      assert.deepEqual(response.body, {id: 'invalid_params', message})
    }
    assert.deepEqual({config: await config(), releases: await releases()}, before)
  })

  it('refuses what a process environment cannot carry (NUL, not UTF-8, over 32 KB) with 422, changing nothing', async () => {
    // Each of these answered 200 and then every dyno of the app crash-looped (spawn throws on a
    // NUL; a 200 KB value is past the kernel's 128 KB per environment string).
    const before = {config: await config(), releases: await releases()}
    const limit = (bytes: number): string =>
      `The config would be ${bytes} bytes (names and values together); the limit is 32768 bytes (32 KB). Keep large data in a file or an add-on and put its location in a config var.`
    // BAZ=a=b;c and QUX= are set already.
    const CURRENT = 'BAZ'.length + 'a=b;c'.length + 'QUX'.length
    const cases: Array<[CallOptions, string]> = [
      [{body: {A: 'x\u0000y'}}, "Config var A contains a NUL byte: a process's environment cannot carry it."],
      [{body: {OK: 'fine', B: '\u0000'}}, "Config var B contains a NUL byte: a process's environment cannot carry it."],
      // JSON can carry a lone surrogate as an escape; it has no UTF-8 form.
      [{rawBody: '{"C": "ab\\ud800"}'}, "Config var C is not valid UTF-8 (a lone surrogate): a process's environment cannot carry it."],
      [{rawBody: '{"C": "\\udfff\\ud800"}'}, "Config var C is not valid UTF-8 (a lone surrogate): a process's environment cannot carry it."],
      // Bytes that are not UTF-8 at all (0xff, a truncated sequence), raw in the body.
      [{rawBody: Buffer.concat([Buffer.from('{"D": "'), Buffer.from([0xff, 0xc3]), Buffer.from('"}')])}, 'Request body is not valid UTF-8: JSON text (and every name and value in it) must be UTF-8 encoded.'],
      [{body: {BIG: 'x'.repeat(200 * 1024)}}, limit(CURRENT + 3 + 200 * 1024)],
      // Many values, each small: the sum counts.
      [{body: Object.fromEntries(Array.from({length: 40}, (_, i) => [`V${String(i).padStart(2, '0')}`, 'y'.repeat(1000)]))}, limit(CURRENT + 40 * (3 + 1000))],
    ]
    for (const [call, message] of cases) {
      const response = await server.call('PATCH', '/apps/conf/config-vars', call)
      assert.equal(response.status, 422, message)
      assert.deepEqual(response.body, {id: 'invalid_params', message})
    }
    assert.deepEqual({config: await config(), releases: await releases()}, before)
    // A two-byte character is still fine: the check is on UTF-8, not on ASCII.
    assert.equal((await server.call('PATCH', '/apps/conf/config-vars', {body: {UNI: 'über 😀'}})).status, 200)
    assert.equal((await server.call('PATCH', '/apps/conf/config-vars', {body: {UNI: null}})).status, 200)
  })

  it('takes a config of exactly 32 KB (names and values)', async () => {
    await server.call('POST', '/apps', {body: {name: 'full'}})
    const response = await server.call('PATCH', '/apps/full/config-vars', {body: {BIG: 'z'.repeat(32 * 1024 - 3)}})
    assert.equal(response.status, 200)
    const over = await server.call('PATCH', '/apps/full/config-vars', {body: {X: ''}})
    assert.equal(over.status, 422)
    assert.deepEqual(Object.keys((await server.call('GET', '/apps/full/config-vars')).body as object), ['BIG'])
  })

  it('keeps a `__proto__` key as plain data', async () => {
    await server.call('POST', '/apps', {body: {name: 'proto'}})
    const response = await server.call('PATCH', '/apps/proto/config-vars', {rawBody: '{"__proto__": "x", "constructor": "y"}'})
    assert.equal(response.status, 200)
    assert.equal(response.text, '{"__proto__":"x","constructor":"y"}')
    assert.equal((await server.call('GET', '/apps/proto/config-vars')).text, '{"__proto__":"x","constructor":"y"}')
    const unset = await server.call('PATCH', '/apps/proto/config-vars', {rawBody: '{"__proto__": null}'})
    assert.equal(unset.text, '{"constructor":"y"}')
  })

  it("answers a release's config by version (also `v3`) or id", async () => {
    const byVersion = await server.call('GET', '/apps/conf/releases/2/config-vars')
    assert.equal(byVersion.status, 200)
    assert.deepEqual(byVersion.body, {FOO: 'foo', BAR: 'bar'})
    assert.deepEqual((await server.call('GET', '/apps/conf/releases/v3/config-vars')).body, {FOO: 'foo', BAR: 'bar', BAZ: 'a=b;c'})
    const v1 = await server.call<Release>('GET', '/apps/conf/releases/1')
    assert.deepEqual((await server.call('GET', `/apps/conf/releases/${v1.body.id}/config-vars`)).body, {})
    const missing = await server.call('GET', '/apps/conf/releases/99/config-vars')
    assert.equal(missing.status, 404)
    assert.deepEqual(missing.body, {id: 'not_found', message: "Couldn't find that release.", resource: 'release'})
  })
})
