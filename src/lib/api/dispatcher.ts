// The undici dispatcher every API call and log stream goes through. undici's index costs ~85 ms
// to load (it pulls in its whole fetch, cache, mock and websocket stack); the two dispatcher
// classes used here cost ~25 ms, so only they are loaded, and only on the first request.
import {createRequire} from 'node:module'

import type {Agent as AgentClass, Dispatcher, EnvHttpProxyAgent as EnvHttpProxyAgentClass} from 'undici'

export interface DispatcherSettings {
  /** Both the connect timeout and the headers timeout. */
  timeoutMs: number
  /** How long a response body may stay silent; log streams send keep-alive comments. */
  bodyTimeoutMs: number
}

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']
const NO_PROXY_VARIABLES = ['NO_PROXY', 'no_proxy']
// Idle keep-alive sockets are unref'd by undici, so holding them open never delays exit.
const KEEP_ALIVE_MS = 10_000

const cache = new Map<string, Promise<Dispatcher>>()

export function usesProxy(env: NodeJS.ProcessEnv = process.env): boolean {
  return PROXY_VARIABLES.some((name) => Boolean(env[name]))
}

/**
 * One shared dispatcher per setting, so that every client in a process reuses its connections.
 * With HTTP(S)_PROXY set, EnvHttpProxyAgent also applies NO_PROXY.
 */
export function defaultDispatcher(settings: DispatcherSettings): Promise<Dispatcher> {
  const proxy = usesProxy()
  // EnvHttpProxyAgent reads the variables when it is built, so they are part of the key.
  const proxyKey = proxy ? [...PROXY_VARIABLES, ...NO_PROXY_VARIABLES].map((name) => process.env[name] ?? '').join('|') : ''
  const key = `${settings.timeoutMs}/${settings.bodyTimeoutMs}/${proxyKey}`
  let dispatcher = cache.get(key)
  if (!dispatcher) {
    dispatcher = Promise.resolve().then(() => {
      const options = {
        connectTimeout: settings.timeoutMs,
        headersTimeout: settings.timeoutMs,
        bodyTimeout: settings.bodyTimeoutMs,
        keepAliveTimeout: KEEP_ALIVE_MS,
      }
      // An http:// target goes to an http proxy as a plain absolute-URI request, as curl does:
      // many proxies refuse CONNECT to anything but port 443. https:// targets still tunnel.
      return proxy ? new (loadUndici('env-http-proxy-agent') as typeof EnvHttpProxyAgentClass)({...options, proxyTunnel: false}) : new (loadUndici('agent') as typeof AgentClass)(options)
    })
    cache.set(key, dispatcher)
  }
  return dispatcher
}

/**
 * One dispatcher class from undici's own files (`undici/lib/dispatcher/<name>.js`, the modules its
 * index re-exports), without the rest of the package. undici is pinned to major 7, whose layout
 * this relies on; the real-socket tests in test/lib/api/client.test.ts (direct and through
 * HTTP_PROXY) fail if it moves.
 */
function loadUndici(name: 'agent' | 'env-http-proxy-agent'): unknown {
  return createRequire(import.meta.url)(`undici/lib/dispatcher/${name}.js`)
}
