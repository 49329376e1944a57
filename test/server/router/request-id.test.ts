// The router's own request ids (headers.ts `randomRequestId`): version 4 UUIDs, as crypto.randomUUID makes.
import assert from 'node:assert/strict'
import {describe, it} from 'mocha'
import {randomRequestId, requestId} from '../../../src/server/router/headers.js'

describe('router: request ids', () => {
  it('makes random version 4 UUIDs, all different, past a refill of its random bytes', () => {
    const ids = new Set<string>()
    for (let i = 0; i < 1000; i++) {
      const id = randomRequestId()
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      ids.add(id)
    }
    assert.equal(ids.size, 1000)
  })

  it('gives a request without a usable Request-Id one of them', () => {
    assert.match(requestId(undefined), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/)
    assert.match(requestId('short'), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/)
    assert.equal(requestId('abcdefghij0123456789'), 'abcdefghij0123456789')
  })
})
