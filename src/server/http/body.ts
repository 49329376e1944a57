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

const UTF8 = new TextDecoder('utf-8', {fatal: true})

/**
 * The body's text. fastify's `parseAs: 'string'` would turn bytes that are not UTF-8 into U+FFFD
 * without a word, and a config var would then hold something its sender never wrote: refused here.
 */
export function decodeBody(body: Buffer): string {
  try {
    return UTF8.decode(body)
  } catch {
    throw invalidParams('Request body is not valid UTF-8: JSON text (and every name and value in it) must be UTF-8 encoded.')
  }
}

export function bodyPlugin(app: FastifyInstance): void {
  app.removeAllContentTypeParsers()
  const parse = (_request: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void): void => {
    try {
      done(null, parseJsonBody(decodeBody(body)))
    } catch (error) {
      done(error as Error)
    }
  }
  app.addContentTypeParser(['application/json', 'application/vnd.heroku+json'], {parseAs: 'buffer'}, parse)
  // Clients that forget the Content-Type (curl -d sends form encoding) still mean JSON here.
  app.addContentTypeParser('*', {parseAs: 'buffer'}, parse)
}

/** The body as an object, or 422 naming what was expected. Absent bodies are `{}`. */
export function objectBody(body: unknown, what = 'Request body'): Record<string, unknown> {
  if (body === undefined || body === null) return {}
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw invalidParams(`${what} must be a JSON object.`)
  }
  return body as Record<string, unknown>
}
