import assert from 'node:assert/strict'
import {describe, it} from 'mocha'
import {actionOf} from '../../../src/server/http/access-audit.js'

describe('audit actions, from the route', () => {
  it('names each change after its resource and verb', () => {
    const cases: Array<[string, string, unknown, string]> = [
      ['PATCH', '/apps/:app/formation', undefined, 'formation.update'],
      ['PATCH', '/apps/:app/config-vars', undefined, 'config.update'],
      ['POST', '/apps/:app/releases', {release: '3'}, 'release.rollback'],
      ['POST', '/apps/:app/releases', {slug: 'x'}, 'release.create'],
      ['POST', '/apps/:app/collaborators', undefined, 'collaborator.create'],
      ['DELETE', '/apps/:app/collaborators/:collaborator', undefined, 'collaborator.destroy'],
      ['POST', '/apps', undefined, 'app.create'],
      ['DELETE', '/apps/:app', undefined, 'app.destroy'],
      ['DELETE', '/apps/:app/dynos', undefined, 'dyno.restart'],
      ['POST', '/apps/:app/dynos/:dyno/actions/stop', undefined, 'dyno.stop'],
      ['POST', '/apps/:app/addons/:addon/backups/:backup/restore', undefined, 'backup.restore'],
      ['POST', '/oauth/authorizations', undefined, 'authorization.create'],
      ['DELETE', '/oauth/authorizations/:id', undefined, 'authorization.destroy'],
      ['PUT', '/teams/:team/members', undefined, 'team-member.update'],
      ['POST', '/:app.git/git-receive-pack', undefined, 'git.push'],
    ]
    for (const [method, url, body, action] of cases) assert.equal(actionOf(method, url, body), action, `${method} ${url}`)
  })
})
