// The one error family of the CLI. Every failure a user can see is one of these; the base
// command turns them into `Error: <message>` (+ a hint) and an exit code, all in `exitCodeFor`.

export type ErrorKind = 'usage' | 'api' | 'network' | 'runtime' | 'remote-exit'

export class TugError extends Error {
  readonly kind: ErrorKind
  /** A line telling the user how to fix it, printed under the message. */
  readonly hint?: string

  constructor(kind: ErrorKind, message: string, options: {hint?: string; cause?: unknown} = {}) {
    super(message, {cause: options.cause})
    this.name = 'TugError'
    this.kind = kind
    this.hint = options.hint
  }
}

/** Bad flags or arguments: nothing was sent. Exit 2. */
export class UsageError extends TugError {
  constructor(message: string, options: {hint?: string} = {}) {
    super('usage', message, options)
    this.name = 'UsageError'
  }
}

/** A non-2xx answer from the API, carrying what the server said. Exit 1. */
export class ApiError extends TugError {
  readonly status: number
  readonly id: string
  readonly requestId?: string
  readonly body?: unknown

  constructor(init: {status: number; id: string; message: string; requestId?: string; body?: unknown; hint?: string}) {
    super('api', init.message, {hint: init.hint})
    this.name = 'ApiError'
    this.status = init.status
    this.id = init.id
    this.requestId = init.requestId
    this.body = init.body
  }
}

/** The server could not be reached or did not answer in time. Exit 1. */
export class NetworkError extends TugError {
  constructor(message: string, options: {hint?: string; cause?: unknown} = {}) {
    super('network', message, options)
    this.name = 'NetworkError'
  }
}

/** `tug run`: the remote command exited non-zero; tug exits with the same status, silently. */
export class RemoteExitError extends TugError {
  readonly status: number

  constructor(status: number) {
    super('remote-exit', `the command exited with status ${status}`)
    this.name = 'RemoteExitError'
    this.status = status
  }
}

/** Any other failure the CLI detects itself (a build that failed, a wait that timed out). Exit 1. */
export class RuntimeError extends TugError {
  constructor(message: string, options: {hint?: string; cause?: unknown} = {}) {
    super('runtime', message, options)
    this.name = 'RuntimeError'
  }
}

/** The one place exit codes are decided. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof RemoteExitError) return error.status
  if (error instanceof TugError) return error.kind === 'usage' ? 2 : 1
  return 1
}
