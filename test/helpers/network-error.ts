// A failure of the connection itself for nock's replyWithError, as Node reports one: an Error with
// a code. nock 14 hands a plain object to a node:http request as a response, never as an error,
// and the request then waits forever (nock/nock#2789).
export function networkError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), {code})
}
