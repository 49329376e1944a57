// Sources (platform-api.md: Source): `POST /apps/{app}/sources` hands out a capability URL on this
// server; the client PUTs its tar.gz there (raw bytes, no auth, no JSON) and passes the URL to
// `POST /apps/{app}/builds`. The upload is streamed to a file, never buffered whole.
import {createReadStream} from 'node:fs'
import type {Readable} from 'node:stream'
import type {FastifyInstance} from 'fastify'
import type {BuildService} from '../../builds/index.js'
import {loadApp, params} from '../context.js'
import type {AppDeps} from '../deps.js'
import {HttpError} from '../errors.js'

/** Registered by the builds routes, with the BuildService they share. */
export function sourcesRoutes(app: FastifyInstance, deps: AppDeps, service: BuildService): void {
  app.post('/apps/:app/sources', {config: {access: 'write'}}, async (request, reply) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    reply.code(201)
    return service.createSource(target)
  })

  // The blob routes take raw bytes of any type, so they live in a child context whose only body
  // parser hands the request stream through untouched (the API's JSON parsers do not apply).
  void app.register(async (blob) => {
    blob.removeAllContentTypeParsers()
    blob.addContentTypeParser('*', (_request, payload, done) => done(null, payload))

    blob.put('/sources/:token/blob', {config: {public: true}}, async (request, reply) => {
      const length = request.headers['content-length']
      const declared = length === undefined ? undefined : Number(length)
      const body = (request.body as Readable | undefined) ?? request.raw
      await service.receiveBlob(params(request).token ?? '', body, Number.isFinite(declared) ? declared : undefined)
      reply.code(200)
      return ''
    })

    blob.get('/sources/:token/blob', {config: {public: true}}, async (request, reply) => {
      const file = service.blobFile(params(request).token ?? '')
      if (!file) throw new HttpError(404, 'not_found', "Couldn't find that source blob.", {resource: 'source'})
      reply.header('Content-Type', 'application/octet-stream')
      return reply.send(createReadStream(file))
    })
  })
}
