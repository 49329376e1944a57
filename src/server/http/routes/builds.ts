// Builds (platform-api.md: Build): create from an uploaded source, info, list, and the build's
// output at `output_stream_url`, a capability URL read without credentials. The output is served
// as text/plain (one line per `\n`) or, when asked for, as Server-Sent Events with line numbers as
// ids; either way it streams while the build runs and ends when it is over.
import {PassThrough} from 'node:stream'
import {BuildService} from '../../builds/index.js'
import {requireAccount} from '../auth.js'
import {loadApp, params} from '../context.js'
import type {RouteModule} from '../deps.js'
import {notFound} from '../errors.js'
import {sendList} from '../pagination.js'
import {gitRoutes} from './git.js'
import {sourcesRoutes} from './sources.js'

/** The sources, builds and git routes, which share one BuildService: live build output lives in it. */
export const buildsRoutes: RouteModule = (app, deps) => {
  const service = new BuildService(
    {
      store: deps.store,
      runtime: deps.runtime,
      dataDir: deps.dataDir,
      publicUrl: deps.publicUrl,
      logs: deps.logs,
      buildpacks: deps.buildpacks,
      log: (message, error) => console.error(`tug server: ${message}`, error ?? ''),
    },
    deps.builds ?? {},
  )
  app.addHook('onClose', async () => service.close())
  sourcesRoutes(app, deps, service)
  gitRoutes(app, deps, service)

  app.post('/apps/:app/builds', {config: {access: 'write'}}, async (request, reply) => {
    const account = requireAccount(request)
    const target = loadApp(deps, request, params(request).app ?? '')
    const {build, made} = service.createBuild(target, account, request.body)
    reply.code(201)
    return service.buildToWire(target, build, made)
  })

  app.get('/apps/:app/builds', {config: {access: 'read'}}, async (request, reply) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    return sendList(
      request,
      reply,
      service.builds.list(target.id),
      {fields: {created_at: (b) => b.created_at, id: (b) => b.id}},
      (b) => service.buildToWire(target, b),
    )
  })

  app.get('/apps/:app/builds/:build', {config: {access: 'read'}}, async (request) => {
    const target = loadApp(deps, request, params(request).app ?? '')
    const build = service.builds.get(target.id, (params(request).build ?? '').toLowerCase())
    if (!build) throw notFound('build', "Couldn't find that build.")
    return service.buildToWire(target, build)
  })

  app.get('/build-output/:token', {config: {public: true}}, async (request, reply) => {
    const output = service.openOutput(params(request).token ?? '')
    if (!output) throw notFound('build', "Couldn't find that build output.")
    const sse = /text\/event-stream/i.test(request.headers.accept ?? '')
    const after = Number(request.headers['last-event-id'] ?? 0)
    const skip = sse && Number.isInteger(after) && after > 0 ? after : 0
    const stream = new PassThrough()
    const write = (line: string, seq: number): void => {
      if (seq <= skip) return
      stream.write(sse ? `id: ${seq}\ndata: ${line}\n\n` : `${line}\n`)
    }
    output.lines.forEach((line, index) => write(line, index + 1))
    if (output.follow) {
      const stop = output.follow(write, () => stream.end())
      reply.raw.on('close', stop)
    } else {
      stream.end()
    }
    reply.header('Content-Type', sse ? 'text/event-stream; charset=utf-8' : 'text/plain; charset=utf-8')
    reply.header('Cache-Control', 'no-cache')
    return reply.send(stream)
  })
}
