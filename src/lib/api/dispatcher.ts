// The undici dispatcher every API call and log stream goes through. undici costs ~70 ms to
// import, and every command loads this package, so it is imported on the first request only.
import type {Dispatcher} from 'undici'

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
    dispatcher = import('undici').then(({Agent, EnvHttpProxyAgent}) => {
      const options = {
        connectTimeout: settings.timeoutMs,
        headersTimeout: settings.timeoutMs,
        bodyTimeout: settings.bodyTimeoutMs,
        keepAliveTimeout: KEEP_ALIVE_MS,
      }
      // An http:// target goes to an http proxy as a plain absolute-URI request, as curl does:
      // many proxies refuse CONNECT to anything but port 443. https:// targets still tunnel.
      return proxy ? new EnvHttpProxyAgent({...options, proxyTunnel: false}) : new Agent(options)
    })
    cache.set(key, dispatcher)
  }
  return dispatcher
}
