// Response headers every answer carries (platform-api.md 1.4-1.6): Request-Id, RateLimit-Remaining,
// and for GETs an ETag, with 304 when If-None-Match names it.
import {createHash} from 'node:crypto'
import type {FastifyInstance} from 'fastify'

/** tug does not rate-limit; clients read the header, so it carries the documented bucket size. */
export const RATE_LIMIT_REMAINING = 4500

export function etagOf(payload: string | Buffer): string {
  return `"${createHash('md5').update(payload).digest('hex')}"`
}

export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false
  return header.split(',').some((candidate) => {
    const value = candidate.trim()
    return value === '*' || value === etag || value === `W/${etag}`
  })
}

export function headersPlugin(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('Request-Id', request.id)
    reply.header('RateLimit-Remaining', String(RATE_LIMIT_REMAINING))
    if (request.method !== 'GET' || (reply.statusCode !== 200 && reply.statusCode !== 206)) return payload
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload
    const etag = etagOf(payload)
    reply.header('ETag', etag)
    if (!ifNoneMatchHits(request.headers['if-none-match'], etag)) return payload
    reply.code(304)
    reply.removeHeader('Content-Type')
    reply.removeHeader('Content-Length')
    return ''
  })
}
