import assert from 'node:assert/strict'
import {readdirSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('../../src/commands', import.meta.url))

function commandFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) =>
    entry.isDirectory() ? commandFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  )
}

interface CommandClass {
  description?: string
  examples?: unknown[]
  enableJsonFlag?: boolean
}

describe('every command', () => {
  const files = commandFiles(root).filter((f) => !relative(root, f).startsWith('server'))

  it('is found', () => {
    const ids = files.map((f) => relative(root, f).replace(/\.ts$/, '').replace(/\/index$/, '').replace(/\//g, ':')).sort()
    assert.deepEqual(ids, [
      'access', 'access:add', 'access:remove', 'addons', 'addons:attach', 'addons:create', 'addons:destroy', 'addons:detach', 'addons:info',
      'apps', 'apps:create', 'apps:destroy', 'apps:info', 'audit', 'auth:token', 'auth:whoami',
      'authorizations', 'authorizations:create', 'authorizations:info', 'authorizations:revoke',
      'buildpacks', 'buildpacks:add', 'buildpacks:clear', 'buildpacks:remove', 'buildpacks:set', 'config', 'config:get', 'config:set',
      'config:unset', 'deploy', 'drains', 'drains:add', 'drains:remove', 'git:helper', 'git:remote', 'local', 'local:run', 'login', 'logout', 'logs', 'members', 'members:add', 'members:remove', 'open',
      'pg:backups', 'pg:backups:capture', 'pg:backups:delete', 'pg:backups:download', 'pg:backups:restore', 'pg:info', 'pg:psql', 'ps', 'ps:restart', 'ps:scale', 'ps:settings', 'ps:stop', 'ps:wait', 'redis:cli', 'releases',
      'releases:info', 'releases:rollback', 'run', 'run:detached', 'schedules', 'schedules:add', 'schedules:remove', 'teams', 'teams:create', 'users', 'users:invite', 'users:remove',
    ])
  })

  for (const file of files) {
    const id = relative(root, file)
    it(`${id}: has a description, examples that start with the bin, and --json unless it is attached to the terminal`, async () => {
      const command = ((await import(file)) as {default: CommandClass}).default
      assert.ok(command.description && command.description.length > 10)
      assert.ok(Array.isArray(command.examples) && command.examples.length > 0)
      for (const example of command.examples) assert.match(String(example), /<%= config\.bin %> /)
      assert.equal(command.enableJsonFlag, !['run/index.ts', 'local/index.ts', 'local/run.ts'].includes(id))
    })
  }
})
