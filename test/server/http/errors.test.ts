// The one place a domain error becomes an HTTP answer: every code, thrown by a handler, reaches the
// client with the status and Heroku's body the API gave before the domain had its own error.
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import {describe, it} from 'mocha'
import {aboveLimit, DomainError, invalidParams, notFound, processTypeNotFound} from '../../../src/server/domain/errors.js'
import {installErrorHandlers} from '../../../src/server/http/errors.js'

async function answerTo(error: Error): Promise<{status: number; body: unknown}> {
  const app = Fastify()
  installErrorHandlers(app, 1024)
  app.get('/', async () => {
    throw error
  })
  try {
    const response = await app.inject({method: 'GET', url: '/'})
    return {status: response.statusCode, body: response.json()}
  } finally {
    await app.close()
  }
}

describe('domain errors on the wire', () => {
  it('answers each code with its status and Heroku id, extra fields included', async () => {
    const cases: Array<[DomainError, number, Record<string, unknown>]> = [
      [invalidParams('Bad size.'), 422, {id: 'invalid_params', message: 'Bad size.'}],
      [notFound('source', "Couldn't find that source."), 404, {id: 'not_found', message: "Couldn't find that source.", resource: 'source'}],
      [aboveLimit('Cannot run more than 2 Eco size dynos.', 2), 422, {id: 'cannot_run_above_limit', message: 'Cannot run more than 2 Eco size dynos.', limit: 2}],
      [new DomainError('conflict', 'Already uploaded.'), 409, {id: 'conflict', message: 'Already uploaded.'}],
      [new DomainError('too_large', 'Too big.'), 413, {id: 'payload_too_large', message: 'Too big.'}],
      [new DomainError('unavailable', 'Shutting down.'), 503, {id: 'service_unavailable', message: 'Shutting down.'}],
    ]
    for (const [error, status, body] of cases) {
      assert.deepEqual(await answerTo(error), {status, body}, error.code)
    }
  })

  it('names the nearest process type in a process type 404', async () => {
    assert.deepEqual(await answerTo(processTypeNotFound('wbe', ['web', 'worker'])), {
      status: 404,
      body: {id: 'not_found', message: processTypeNotFound('wbe', ['web', 'worker']).message, resource: 'formation'},
    })
    assert.match(processTypeNotFound('wbe', ['web', 'worker']).message, /^Couldn't find that process type \(wbe\)\..*web/)
  })
})
