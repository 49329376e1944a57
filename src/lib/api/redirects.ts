// The redirect rules of fetch (undici, the WHATWG fetch standard), for the client's two node:http
// paths: API requests (http-transport.ts) and log streams (stream-response.ts). fetch itself
// follows them when a proxy is set. Pure.

/** Redirects followed at most; one more is an error. */
export const MAX_REDIRECTS = 20
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])
/** The headers fetch drops when a redirect leaves the origin (undici's list). */
const CROSS_ORIGIN_DROPPED = new Set(['authorization', 'proxy-authorization', 'cookie', 'host'])

/** A status that redirects (when a Location comes with it). */
export function isRedirect(status: number | undefined): boolean {
  return REDIRECT_STATUSES.has(status ?? 0)
}

/**
 * Where a Location sends the request next, relative to the current URL; only http(s). node:http
 * gives a header's bytes as latin1: a Location sent as raw UTF-8 is read as UTF-8, as undici
 * (and browsers) read it.
 */
export function redirectTarget(location: string, from: URL): URL {
  // eslint-disable-next-line no-control-regex -- any byte beyond ASCII
  const text = /[^\x00-\x7f]/.test(location) ? Buffer.from(location, 'latin1').toString('utf8') : location
  let next: URL
  try {
    next = new URL(text, from)
  } catch {
    throw new Error('a redirect to an invalid URL')
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new Error(`a redirect to a ${next.protocol} URL, not http(s)`)
  return next
}

/** The request's headers for the next hop: credentials and Host stay with the origin they were meant for. */
export function headersFor(next: URL, from: URL, headers: Record<string, string>): Record<string, string> {
  if (next.origin === from.origin) return headers
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !CROSS_ORIGIN_DROPPED.has(name.toLowerCase())))
}

/** The error past MAX_REDIRECTS (it names the origin only: a URL may be a capability). */
export function tooManyRedirects(next: URL): Error {
  return new Error(`more than ${MAX_REDIRECTS} redirects (the last to ${next.origin})`)
}
