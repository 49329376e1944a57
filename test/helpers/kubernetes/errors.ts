// API errors as the API server answers them: a `Status` object with code, reason and message.

export interface StatusObject {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Failure' | 'Success'
  message?: string
  reason?: string
  details?: {name?: string; group?: string; kind?: string; uid?: string; causes?: {reason?: string; message?: string; field?: string}[]}
  code: number
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusObject['details'],
  ) {
    super(message)
  }

  toStatus(): StatusObject {
    return {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, details: this.details, code: this.code}
  }
}

/** `deployments.apps`, `pods`: how the API names a resource in messages. */
export function qualified(plural: string, group: string): string {
  return group === '' ? plural : `${plural}.${group}`
}

export function notFound(plural: string, group: string, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(plural, group)} "${name}" not found`, {name, group, kind: plural})
}

export function alreadyExists(plural: string, group: string, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(plural, group)} "${name}" already exists`, {name, group, kind: plural})
}

export function conflict(plural: string, group: string, name: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(plural, group)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    {name, group, kind: plural},
  )
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message)
}

export function invalid(kind: string, group: string, name: string, causes: {field: string; message: string}[]): ApiError {
  const what = group === '' ? kind : `${kind}.${group}`
  return new ApiError(
    422,
    'Invalid',
    `${what} "${name}" is invalid: ${causes.map((cause) => `${cause.field}: ${cause.message}`).join(', ')}`,
    {name, group, kind, causes: causes.map((cause) => ({reason: 'FieldValueInvalid', message: cause.message, field: cause.field}))},
  )
}
