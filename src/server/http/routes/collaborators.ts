// An app's collaborators (Heroku's /apps/{app}/collaborators): the owner, listed first as Heroku
// lists it, and the users it shares the app with. Adding and removing one needs `manage`.
import type {FastifyRequest} from 'fastify'
import {findUser} from '../../users/index.js'
import type {AppRecord} from '../../store/index.js'
import {objectBody} from '../body.js'
import {loadApp, params} from '../context.js'
import type {RouteModule} from '../deps.js'
import {invalidParams, notFound} from '../errors.js'
import {collaboratorToWire, ownerToWire} from './users-wire.js'

const collaboratorNotFound = () => notFound('collaborator', "Couldn't find that collaborator.")

export const collaboratorsRoutes: RouteModule = (app, deps) => {
  const {store} = deps
  const target = (request: FastifyRequest): AppRecord => loadApp(deps, request, params(request).app ?? '')

  app.get('/apps/:app/collaborators', {config: {access: 'read'}}, async (request) => {
    const shop = target(request)
    return [ownerToWire(shop, store.accounts.get(shop.owner_id)), ...store.teams.collaborators(shop.id).map((c) => collaboratorToWire(shop, c))]
  })

  app.get('/apps/:app/collaborators/:collaborator', {config: {access: 'read'}}, async (request) => {
    const shop = target(request)
    const user = findUser(store, params(request).collaborator ?? '')
    if (user?.id === shop.owner_id) return ownerToWire(shop, user)
    const collaborator = user && store.teams.collaborator(shop.id, user.id)
    if (!collaborator) throw collaboratorNotFound()
    return collaboratorToWire(shop, collaborator)
  })

  app.post('/apps/:app/collaborators', {config: {access: 'manage'}}, async (request, reply) => {
    const shop = target(request)
    const email = objectBody(request.body).user
    if (typeof email !== 'string' || email.trim() === '') throw invalidParams('user is required: the email (or id) of the user to add, e.g. {"user": "dev@example.com"}.')
    const user = findUser(store, email)
    if (!user) throw notFound('user', `Couldn't find that user (${email.trim()}). The control plane's admin invites users first (tug users:invite EMAIL).`)
    if (user.id === shop.owner_id) throw invalidParams(`${user.email} owns ${shop.name} already.`)
    const existing = store.teams.collaborator(shop.id, user.id)
    if (existing) throw invalidParams(`${user.email} is already a collaborator on ${shop.name}.`)
    reply.code(201)
    return collaboratorToWire(shop, store.transaction(() => store.teams.addCollaborator(shop.id, user.id)))
  })

  app.delete('/apps/:app/collaborators/:collaborator', {config: {access: 'manage'}}, async (request) => {
    const shop = target(request)
    const user = findUser(store, params(request).collaborator ?? '')
    const collaborator = user && store.teams.collaborator(shop.id, user.id)
    if (!user || !collaborator) throw collaboratorNotFound()
    store.transaction(() => store.teams.removeCollaborator(shop.id, user.id))
    return collaboratorToWire(shop, collaborator)
  })
}
