// Host header -> app name. Pure: `<app>.localhost[:port]` (browsers and curl resolve any
// `*.localhost` to loopback) and `<app>.<domain>[:port]` for each configured domain.

/** The app name rule of the API (src/server/names.ts), repeated so this stays dependency-free. */
const APP_LABEL = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/

export const LOCALHOST_DOMAIN = 'localhost'

/** The host without its port, lower-cased, without a trailing dot; undefined for IPv6 literals and junk. */
export function hostname(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  let host = header.trim().toLowerCase()
  if (host === '' || host.startsWith('[')) return undefined
  const colon = host.indexOf(':')
  if (colon !== -1) {
    const port = host.slice(colon + 1)
    if (!/^\d{0,5}$/.test(port)) return undefined
    host = host.slice(0, colon)
  }
  if (host.endsWith('.')) host = host.slice(0, -1)
  return host === '' ? undefined : host
}

/** Normalises a configured domain (`Apps.Example.com.` -> `apps.example.com`). */
export function normaliseDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/^\.+/, '').replace(/\.+$/, '')
}

/**
 * The app a Host header names, or undefined. Only one label in front of a known domain counts:
 * `shop.localhost` is `shop`, `www.shop.localhost` is nothing (no wildcard sub-domains).
 */
export function appFromHost(header: string | undefined, domains: readonly string[] = []): string | undefined {
  return appInHostname(hostname(header), routedDomains(domains))
}

/** `localhost` and the configured domains, normalised: what `appInHostname` takes (the router computes it once). */
export function routedDomains(domains: readonly string[]): string[] {
  return [LOCALHOST_DOMAIN, ...domains.map(normaliseDomain).filter((domain) => domain !== '')]
}

/** `appFromHost` for a host already through `hostname`, against `routedDomains`. */
export function appInHostname(host: string | undefined, domains: readonly string[]): string | undefined {
  if (host === undefined) return undefined
  for (const domain of domains) {
    if (host.length <= domain.length + 1 || host.charCodeAt(host.length - domain.length - 1) !== 46 || !host.endsWith(domain)) continue
    const label = host.slice(0, host.length - domain.length - 1)
    if (APP_LABEL.test(label)) return label
  }
  return undefined
}

/** What a request line's target becomes: the origin form to forward, and the authority it named, if any. */
export interface RequestTarget {
  path: string
  /** From an absolute-form target (`http://shop.localhost:5080/x`): it names the host, not the Host header. */
  authority?: string
}

const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)([^#]*)/i

/**
 * RFC 9112 3.2: origin form (`/x?y`) as is; absolute form (`http://host:port/x?y`, what a client
 * sends to a proxy) as its authority and the origin form `/x?y`, since a dyno expects the path
 * alone; `*` (OPTIONS *). Anything else (`x`, a CONNECT authority, a userinfo `@`) is undefined: a 400.
 */
export function requestTarget(target: string): RequestTarget | undefined {
  if (target.startsWith('/') || target === '*') return {path: target}
  const match = ABSOLUTE_FORM.exec(target)
  const authority = match?.[1]
  if (match === null || authority === undefined || authority === '' || authority.includes('@')) return undefined
  const rest = match[2] ?? ''
  return {authority, path: rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest}
}
