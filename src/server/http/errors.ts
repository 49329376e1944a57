// The one error helper of the API: every non-2xx body is `{id, message, url?, resource?, ...}`
// (platform-api.md 1.9), built here or, for the domain's errors, by DomainError.body(), which
// the error handler below sends.
import type {FastifyError, FastifyInstance} from 'fastify'
import type {ErrorBody} from '../../shared/api-types.js'
import {DomainError, notFound} from '../domain/errors.js'

// The rules' own errors, which routes throw too: one definition, in the domain.
export {aboveLimit, invalidParams, notFound, processTypeNotFound} from '../domain/errors.js'

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly id: string,
    message: string,
    readonly extra: Omit<ErrorBody, 'id' | 'message'> = {},
  ) {
    super(message)
    this.name = 'HttpError'
  }

  body(): ErrorBody {
    return {id: this.id, message: this.message, ...this.extra}
  }
}

export const ROUTE_NOT_FOUND_MESSAGE =
  'The requested API endpoint was not found. Are you using the right HTTP verb (i.e. `GET` vs. `POST`), ' +
  'and did you specify your intended version with the `Accept` header?'

export const MISSING_VERSION_MESSAGE =
  "Please specify a version along with Heroku's API MIME type. For example, `Accept: application/vnd.heroku+json; version=3`.\n"

export const APP_NAME_MESSAGE =
  'Name must start with a letter, end with a letter or digit and can only contain lowercase letters, digits, and dashes.'

export const appNotFound = (): DomainError => notFound('app', "Couldn't find that app.")
export const dynoNotFound = (): DomainError => notFound('dyno', "Couldn't find that dyno.")
export const releaseNotFound = (): DomainError => notFound('release', "Couldn't find that release.")

export function badRequest(message: string): HttpError {
  return new HttpError(400, 'bad_request', message)
}

export function unauthorized(): HttpError {
  return new HttpError(401, 'unauthorized', 'Invalid credentials provided.')
}

export function rangeNotSatisfiable(message: string): HttpError {
  return new HttpError(416, 'requested_range_not_satisfiable', message)
}

/**
 * Errors fastify raises before routing (a malformed percent-encoding, an overlong path segment):
 * same body shape and headers as every other answer. Pass as the `frameworkErrors` option.
 */
export function frameworkErrorBody(code: string | undefined): {status: number; body: ErrorBody} {
  if (code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return {status: 414, body: {id: 'uri_too_long', message: 'A path segment of the request URL is too long.'}}
  }
  return {status: 400, body: {id: 'bad_request', message: 'The request URL is not valid (bad percent-encoding?).'}}
}

/** Maps anything thrown in a handler or by fastify itself to the documented error bodies. */
export function installErrorHandlers(app: FastifyInstance, bodyLimit: number): void {
  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send({id: 'not_found', message: ROUTE_NOT_FOUND_MESSAGE})
  })

  app.setErrorHandler((error: FastifyError | HttpError | DomainError, request, reply) => {
    if (error instanceof HttpError) {
      reply.code(error.statusCode).send(error.body())
      return
    }
    // The one place a rule's error becomes an HTTP answer.
    if (error instanceof DomainError) {
      reply.code(error.httpStatus).send(error.body())
      return
    }
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        reply.code(413).send({
          id: 'payload_too_large',
          message: `Request body is too large: the limit is ${bodyLimit} bytes.`,
        })
        return
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        reply.code(415).send({id: 'unsupported_media_type', message: 'Request bodies must be JSON (Content-Type: application/json).'})
        return
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        reply.code(400).send({id: 'bad_request', message: 'Request body does not match its Content-Length.'})
        return
    }
    const status = error.statusCode ?? 500
    if (status >= 400 && status < 500) {
      reply.code(status).send({id: 'bad_request', message: error.message})
      return
    }
    request.log.error({err: error}, 'request failed')
    reply.code(500).send({id: 'internal_server_error', message: 'Internal server error.'})
  })
}
