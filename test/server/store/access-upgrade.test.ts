import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import {after, describe, it} from 'mocha'
import {hashPassword, verifyPassword} from '../../../src/server/domain/passwords.js'
import {migrate, migrations} from '../../../src/server/store/migrations.js'
import {Store} from '../../../src/server/store/index.js'
import {hashToken} from '../../../src/server/store/tokens.js'

describe('migration 10: users, teams, scoped tokens (an existing data directory)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tug-access-upgrade-'))
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('makes the existing account the admin owning every app; old tokens stay valid, global, without expiry', () => {
    const path = join(dir, 'tug.db')
    // The database as the code before issue 17 left it: migrations 1 to 9, one account, its apps and tokens.
    const old = new BetterSqlite3(path)
    assert.deepEqual(migrate(old, migrations.filter((m) => m.version <= 9)), [1, 2, 3, 4, 5, 6, 7, 8, 9])
    const now = '2026-11-30T10:00:00Z'
    old.prepare('INSERT INTO accounts (id, email, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run('acc-1', 'admin@tug.local', 'tug admin', now, now)
    for (const name of ['shop', 'blog']) {
      old.prepare('INSERT INTO apps (id, name, owner_id, region, stack, build_stack, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(`app-${name}`, name, 'acc-1', 'us', 'heroku-24', 'heroku-24', now, now)
    }
    const secret = 'tug_an-old-token-made-before-issue-17'
    old.prepare('INSERT INTO tokens (id, account_id, description, token_hash, created_at) VALUES (?, ?, ?, ?, ?)').run('tok-1', 'acc-1', 'laptop', hashToken(secret).toString('hex'), now)
    old.close()

    const store = new Store({path})
    try {
      const admin = store.accounts.get('acc-1')
      assert.equal(admin?.admin, true)
      assert.equal(admin?.activated_at, now, 'active, not an invitation waiting')
      assert.deepEqual(store.apps.list().map((a) => [a.name, a.owner_id, a.team_id]), [['blog', 'acc-1', null], ['shop', 'acc-1', null]])
      const token = store.tokens.authenticate(secret)
      assert.deepEqual(token && {id: token.id, account: token.account_id, scope: token.scope, app: token.app_id, expires: token.expires_at, description: token.description}, {
        id: 'tok-1',
        account: 'acc-1',
        scope: 'global',
        app: null,
        expires: null,
        description: 'laptop',
      })
      assert.deepEqual(store.apps.listVisible({accountId: 'acc-1', admin: true}).map((a) => a.name), ['blog', 'shop'])
    } finally {
      store.close()
    }
  })

  it('hashes passwords with scrypt (N = 2^15, a random salt): not the password, different each time, verified', async () => {
    const one = await hashPassword('correct horse battery')
    const two = await hashPassword('correct horse battery')
    assert.match(one, /^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/)
    assert.notEqual(one, two)
    assert.equal(await verifyPassword('correct horse battery', one), true)
    assert.equal(await verifyPassword('correct horse batterY', one), false)
    assert.equal(await verifyPassword('correct horse battery', 'plain'), false)
  })
})
