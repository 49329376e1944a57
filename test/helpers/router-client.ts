// Requests to a control plane's HTTP router as a browser would send them to `<app>.localhost:<port>`:
// to 127.0.0.1 with the app's name in the Host header (fetch cannot set Host, and *.localhost need
// not resolve on the test machine).
import assert from 'node:assert/strict'
import {request, type Agent} from 'node:http'

import type {ControlPlane} from './control-plane.js'

export interface RouterAnswer {
  status: number
  body: string
}

export interface RouterGetOptions {
  /** `/` unless given. */
  path?: string
  /** A keep-alive agent to reuse connections; by default each request has a connection of its own. */
  agent?: Agent
  /** How long the answer may take (30 s). */
  timeoutMs?: number
}

/**
 * GET `path` from the router on 127.0.0.1:`port` with this Host header: the status and the whole
 * body. Rejects when the connection fails or the answer does not come within the timeout.
 */
export function getThroughRouter(port: number, host: string, options: RouterGetOptions = {}): Promise<RouterAnswer> {
  const timeoutMs = options.timeoutMs ?? 30_000
  return new Promise((resolve, reject) => {
    const req = request({host: '127.0.0.1', port, path: options.path ?? '/', headers: {host}, agent: options.agent ?? false, timeout: timeoutMs}, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({status: res.statusCode ?? 0, body}))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`no answer from the router (Host: ${host}) within ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end()
  })
}

/** The router's port, from the `Router: http://<app>.localhost:<port>/` line `tug server` prints. */
export function routerPortOf(plane: Pick<ControlPlane, 'output'>): number {
  const match = /^Router: +http:\/\/<app>\.localhost:(\d+)\/$/m.exec(plane.output())
  assert.ok(match, plane.output())
  return Number(match[1])
}
