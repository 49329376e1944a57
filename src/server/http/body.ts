// Request bodies are JSON. An empty body is no body at all, whatever the Content-Type says
// (heroku-client sends `Content-Type: application/json` on bodiless requests too); malformed JSON
// is 400 bad_request; the size limit (fastify's bodyLimit) is answered with 413 by the error handler.
import type {FastifyRequest} from 'fastify'
import {badRequest, invalidParams} from './errors.js'
import type {FastifyInstance} from 'fastify'

export const DEFAULT_BODY_LIMIT = 1024 * 1024

export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw badRequest(`Invalid JSON in request body: ${(error as Error).message}`)
  }
}

export function bodyPlugin(app: FastifyInstance): void {
  app.removeAllContentTypeParsers()
  const parse = (_request: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void): void => {
    try {
      done(null, parseJsonBody(body))
    } catch (error) {
      done(error as Error)
    }
  }
  app.addContentTypeParser(['application/json', 'application/vnd.heroku+json'], {parseAs: 'string'}, parse)
  // Clients that forget the Content-Type (curl -d sends form encoding) still mean JSON here.
  app.addContentTypeParser('*', {parseAs: 'string'}, parse)
}

/** The body as an object, or 422 naming what was expected. Absent bodies are `{}`. */
export function objectBody(body: unknown, what = 'Request body'): Record<string, unknown> {
  if (body === undefined || body === null) return {}
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw invalidParams(`${what} must be a JSON object.`)
  }
  return body as Record<string, unknown>
}
