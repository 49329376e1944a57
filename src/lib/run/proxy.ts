// HTTPS_PROXY / HTTP_PROXY / NO_PROXY for the attach connection, which leaves undici's dispatcher
// (an upgraded socket is not a fetch): the proxy to use for a URL, and a CONNECT tunnel through it.
import {request as httpRequest} from 'node:http'
import type {Socket} from 'node:net'

import {NetworkError} from '../errors.js'

/** The proxy for `url` from the environment, or undefined (none set, or NO_PROXY matches). */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv): URL | undefined {
  const raw = url.protocol === 'https:' ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.HTTP_PROXY ?? env.http_proxy)
  if (!raw) return undefined
  if (noProxy(url, env.NO_PROXY ?? env.no_proxy ?? '')) return undefined
  try {
    return new URL(raw.includes('://') ? raw : `http://${raw}`)
  } catch {
    return undefined
  }
}

function defaultPort(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80')
}

/** NO_PROXY as curl reads it: `*`, host names (a leading dot optional) matching as suffixes, optional ports. */
export function noProxy(url: URL, list: string): boolean {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  const port = defaultPort(url)
  for (const raw of list.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase()
    if (entry === '') continue
    if (entry === '*') return true
    const match = /^(.*?)(?::(\d+))?$/.exec(entry.replace(/^\[(.*)\](:\d+)?$/, '$1$2'))
    const name = (match?.[1] ?? entry).replace(/^\*?\./, '')
    if (match?.[2] && match[2] !== port) continue
    if (host === name || host.endsWith(`.${name}`)) return true
  }
  return false
}

/** Opens a CONNECT tunnel to `target`'s host and port through `proxy`. */
export function connectTunnel(proxy: URL, target: URL, timeoutMs: number): Promise<Socket> {
  const authority = `${target.hostname}:${defaultPort(target)}`
  const headers: Record<string, string> = {Host: authority}
  if (proxy.username) {
    const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`
    headers['Proxy-Authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`
  }
  return new Promise((resolve, reject) => {
    const request = httpRequest({host: proxy.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(proxy.port || 80), method: 'CONNECT', path: authority, headers, agent: false, timeout: timeoutMs})
    request.once('connect', (response, socket) => {
      if (response.statusCode !== 200) {
        socket.destroy()
        reject(new NetworkError(`The proxy ${proxy.host} refused to connect to ${authority} (HTTP ${response.statusCode}).`))
        return
      }
      resolve(socket)
    })
    request.once('timeout', () => request.destroy(new Error('timed out')))
    request.once('error', (error) => reject(new NetworkError(`Cannot reach the proxy ${proxy.host}: ${error.message}`, {cause: error})))
    request.end()
  })
}
