import type {DynoSize} from '../../../shared/api-types.js'
import {DYNO_SIZES, findDynoSize} from '../../domain/catalog.js'
import {loadApp, params} from '../context.js'
import type {RouteModule} from '../deps.js'
import {notFound} from '../errors.js'
import {sendList} from '../pagination.js'

const SIZE_LIST = {fields: {id: (s: DynoSize) => s.id, name: (s: DynoSize) => s.name}}
// The catalogue's own order (smallest first) is the natural default; Range on id/name re-sorts.
const sizes = (): DynoSize[] => DYNO_SIZES.map((s) => s.size)

export const dynoSizesRoutes: RouteModule = (app, deps) => {
  app.get('/dyno-sizes', {config: {access: 'read'}}, async (request, reply) =>
    request.headers.range ? sendList(request, reply, sizes(), SIZE_LIST, (s) => s) : sizes(),
  )

  app.get('/dyno-sizes/:size', {config: {access: 'read'}}, async (request) => {
    const found = findDynoSize(params(request).size ?? '')
    if (!found) throw notFound('dyno-size', "Couldn't find that dyno size.")
    return found.size
  })

  app.get('/apps/:app/available-dyno-sizes', {config: {access: 'read'}}, async (request, reply) => {
    loadApp(deps, request, params(request).app ?? '')
    return request.headers.range ? sendList(request, reply, sizes(), SIZE_LIST, (s) => s) : sizes()
  })
}
