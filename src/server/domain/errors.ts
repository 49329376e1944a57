// The one error of the rules below the HTTP layer (formation, config, releases, builds, the
// catalogue): they say what is wrong in their own terms and know nothing of fastify. The HTTP
// layer answers it at one place (installErrorHandlers in http/errors.ts) with the status hint and
// Heroku's `{id, message, ...}` body (platform-api.md 1.9).
import type {ErrorBody} from '../../shared/api-types.js'
import {processTypeSuggestion} from '../../shared/suggest.js'

export type DomainErrorCode = 'invalid_params' | 'forbidden' | 'not_found' | 'above_limit' | 'conflict' | 'too_large' | 'unavailable' | 'gone'

/** Per code, the HTTP status a client gets and the `id` Heroku's API gives that error. */
const WIRE: Record<DomainErrorCode, {status: number; id: string}> = {
  invalid_params: {status: 422, id: 'invalid_params'},
  forbidden: {status: 403, id: 'forbidden'},
  not_found: {status: 404, id: 'not_found'},
  above_limit: {status: 422, id: 'cannot_run_above_limit'},
  conflict: {status: 409, id: 'conflict'},
  too_large: {status: 413, id: 'payload_too_large'},
  unavailable: {status: 503, id: 'service_unavailable'},
  // A capability URL past its lifetime: it existed, and will never answer again.
  gone: {status: 410, id: 'gone'},
}

/** Fields of Heroku's error body beyond id and message that a client reads (which resource, which limit). */
export type DomainErrorDetails = Pick<ErrorBody, 'resource' | 'limit'>

export class DomainError extends Error {
  /** The HTTP status this error is answered with. */
  readonly httpStatus: number
  /** Heroku's error `id` on the wire. */
  readonly id: string

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details: DomainErrorDetails = {},
  ) {
    super(message)
    this.name = 'DomainError'
    this.httpStatus = WIRE[code].status
    this.id = WIRE[code].id
  }

  body(): ErrorBody {
    return {id: this.id, message: this.message, ...this.details}
  }
}

export function notFound(resource: string, message: string): DomainError {
  return new DomainError('not_found', message, {resource})
}

/** With the app's types when known, so that any client (Heroku's CLI too) shows what exists. */
export const processTypeNotFound = (type: string, known?: readonly string[]): DomainError =>
  notFound('formation', `Couldn't find that process type (${type}).${known ? processTypeSuggestion(type, known) : ''}`)

export function invalidParams(message: string): DomainError {
  return new DomainError('invalid_params', message)
}

export function aboveLimit(message: string, limit: number): DomainError {
  return new DomainError('above_limit', message, {limit})
}
