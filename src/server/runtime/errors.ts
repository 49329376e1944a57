// The runtime's own error: a backend could not do what was asked (a dyno that cannot be started).
// The server never throws the CLI's errors; whoever catches this one decides what the user sees.
export class BackendError extends Error {
  constructor(message: string, options?: {cause?: unknown}) {
    super(message, options)
    this.name = 'BackendError'
  }
}
