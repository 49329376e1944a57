import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, afterEach, beforeEach, describe, it} from 'mocha'
import {createRelease} from '../../../src/server/domain/releases.js'
import {migrate, migrations} from '../../../src/server/store/migrations.js'
import {Store, type AccountRecord, type AppRecord} from '../../../src/server/store/index.js'

describe('store', () => {
  const dirs: string[] = []
  let dir = ''
  let store: Store
  let account: AccountRecord
  let app: AppRecord

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tug-store-test-'))
    dirs.push(dir)
    store = new Store({path: join(dir, 'tug.db')})
    account = store.accounts.create({email: 'a@example.com'})
    app = store.apps.create({name: 'one', owner_id: account.id, region: 'us', stack: 'heroku-24'})
  })

  afterEach(() => {
    store.close()
  })

  after(() => {
    for (const d of dirs) rmSync(d, {recursive: true, force: true})
  })

  describe('apps', () => {
    it('answers idByName from memory, and forgets on every create, rename and delete', () => {
      assert.equal(store.apps.idByName('one'), app.id)
      assert.equal(store.apps.idByName('two'), undefined)
      const two = store.apps.create({name: 'two', owner_id: account.id, region: 'us', stack: 'heroku-24'})
      assert.equal(store.apps.idByName('two'), two.id, 'a name that was unknown is found once the app exists')
      store.apps.update(app.id, {name: 'uno'})
      assert.equal(store.apps.idByName('one'), undefined, 'the old name is gone after a rename')
      assert.equal(store.apps.idByName('uno'), app.id)
      store.apps.delete(two.id)
      assert.equal(store.apps.idByName('two'), undefined, 'a deleted app is gone')
    })
  })

  describe('database', () => {
    it('runs in WAL mode with synchronous=FULL and foreign keys on', () => {
      assert.equal(store.db.pragma('journal_mode', {simple: true}), 'wal')
      assert.equal(store.db.pragma('synchronous', {simple: true}), 2)
      assert.equal(store.db.pragma('foreign_keys', {simple: true}), 1)
    })

    it('records applied migrations and applies each only once', () => {
      const rows = store.db.prepare('SELECT version, name FROM schema_migrations').all()
      assert.deepEqual(rows, migrations.map((m) => ({version: m.version, name: m.name})))
      assert.deepEqual(migrate(store.db), [])
      store.close()
      store = new Store({path: join(dir, 'tug.db')})
      assert.equal(store.apps.findByName('one')?.id, app.id)
    })

    it('applies new migrations in order, each in a transaction that a failure rolls back', () => {
      const applied = migrate(store.db, [
        ...migrations,
        {version: 1003, name: 'third', up: 'CREATE TABLE third (id TEXT)'},
        {version: 1002, name: 'second', up: 'CREATE TABLE second (id TEXT)'},
      ])
      assert.deepEqual(applied, [1002, 1003])
      assert.throws(() => migrate(store.db, [...migrations, {version: 1004, name: 'broken', up: 'CREATE TABLE fourth (id TEXT); CREATE TABLE oops ('}]))
      const tables = (store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{name: string}>).map((t) => t.name)
      assert.ok(tables.includes('third'))
      assert.ok(!tables.includes('fourth'), 'the failed migration left nothing behind')
      assert.equal((store.db.prepare('SELECT count(*) AS n FROM schema_migrations WHERE version = 1004').get() as {n: number}).n, 0)
    })

    it('has the tables of every resource, sources and builds included', () => {
      const columns = (table: string) => (store.db.prepare(`PRAGMA table_info(${table})`).all() as Array<{name: string}>).map((c) => c.name)
      for (const table of ['accounts', 'tokens', 'apps', 'config_snapshots', 'releases', 'formation', 'dynos', 'log_sessions']) {
        assert.ok(columns(table).length > 0, table)
      }
      assert.deepEqual(columns('sources'), ['id', 'app_id', 'created_at', 'blob_path', 'uploaded_at', 'checksum'])
      assert.deepEqual(columns('builds'), [
        'id', 'app_id', 'source_url', 'status', 'release_id', 'output_path', 'error', 'created_at', 'updated_at', 'user_id', 'output_token_hash',
        'source_checksum', 'source_version', 'buildpacks', 'slug_size',
      ])
    })
  })

  describe('releases', () => {
    it('numbers releases per app from 1, with no gaps or duplicates across two connections', () => {
      const other = new Store({path: join(dir, 'tug.db')})
      try {
        const second = store.apps.create({name: 'two', owner_id: account.id, region: 'us', stack: 'heroku-24'})
        for (let i = 0; i < 20; i++) {
          const writer = i % 2 === 0 ? store : other
          createRelease(writer, {appId: app.id, description: `r${i}`, config: {N: String(i)}, user: account})
          if (i % 3 === 0) createRelease(writer, {appId: second.id, description: `s${i}`, user: account})
        }
        assert.deepEqual(store.releases.list(app.id).map((r) => r.version), Array.from({length: 20}, (_, i) => i + 1))
        assert.deepEqual(store.releases.list(second.id).map((r) => r.version), [1, 2, 3, 4, 5, 6, 7])
      } finally {
        other.close()
      }
    })

    it('refuses a duplicate version at the database level', () => {
      const release = createRelease(store, {appId: app.id, description: 'one', user: account})
      assert.throws(
        () =>
          store.db
            .prepare(
              `INSERT INTO releases (id, app_id, version, description, status, config_id, user_id, created_at, updated_at)
               VALUES ('x', ?, 1, 'dup', 'succeeded', ?, ?, 'now', 'now')`,
            )
            .run(app.id, release.config_id, account.id),
        /UNIQUE constraint failed: releases.app_id, releases.version/,
      )
    })

    it('makes the release current and syncs the formation: web at 1, others at 0, commands updated, gone types removed', () => {
      createRelease(store, {
        appId: app.id,
        description: 'Deploy a',
        slugId: 'slug-a',
        processTypes: [
          {name: 'web', command: 'a-web'},
          {name: 'worker', command: 'a-worker'},
        ],
        user: account,
      })
      store.formation.update(app.id, (store.formation.getByType(app.id, 'worker') as {id: string}).id, {quantity: 3, size: 'Standard-2X'})
      const second = createRelease(store, {
        appId: app.id,
        description: 'Deploy b',
        slugId: 'slug-b',
        processTypes: [
          {name: 'worker', command: 'b-worker'},
          {name: 'clock', command: 'b-clock'},
        ],
        user: account,
      })
      assert.equal(store.apps.get(app.id)?.current_release_id, second.id)
      const formation = store.formation.list(app.id).map((f) => [f.type, f.command, f.quantity, f.size])
      assert.deepEqual(formation, [
        ['clock', 'b-clock', 0, 'Standard-1X'],
        ['worker', 'b-worker', 3, 'Standard-2X'],
      ])
    })

    it('carries code and config over unless given, and takes config from another release', () => {
      const deploy = createRelease(store, {appId: app.id, description: 'd', slugId: 's1', codeDir: '/code/1', processTypes: [{name: 'web', command: 'w'}], config: {A: '1'}, user: account})
      const config = createRelease(store, {appId: app.id, description: 'c', config: {A: '2'}, user: account})
      assert.equal(config.slug_id, 's1')
      assert.equal(config.code_dir, '/code/1')
      assert.deepEqual(config.process_types, [{name: 'web', command: 'w'}])
      assert.deepEqual(store.config.get(app.id, config.config_id), {A: '2'})
      const rollback = createRelease(store, {appId: app.id, description: 'r', configFrom: deploy.id, user: account})
      assert.deepEqual(store.config.get(app.id, rollback.config_id), {A: '1'})
      assert.equal(rollback.config_id, deploy.config_id, 'snapshots are shared, never copied or changed')
    })

    it('scopes every lookup by app', () => {
      const release = createRelease(store, {appId: app.id, description: 'x', user: account})
      const other = store.apps.create({name: 'other', owner_id: account.id, region: 'us', stack: 'heroku-24'})
      assert.equal(store.releases.get(other.id, release.id), undefined)
      assert.equal(store.releases.resolve(other.id, 1), undefined)
      assert.equal(store.config.get(other.id, release.config_id), undefined)
    })

    it('deletes an app with everything it owns', () => {
      createRelease(store, {appId: app.id, description: 'd', processTypes: [{name: 'web', command: 'w'}], config: {A: '1'}, user: account})
      assert.equal(store.apps.delete(app.id), true)
      for (const table of ['releases', 'formation', 'config_snapshots', 'dynos']) {
        assert.equal((store.db.prepare(`SELECT count(*) AS n FROM ${table} WHERE app_id = ?`).get(app.id) as {n: number}).n, 0, table)
      }
    })
  })

  describe('tokens', () => {
    it('returns the secret once, stores only its digest, and lists without secrets', () => {
      const {token, secret} = store.tokens.create(account.id, 'ci')
      assert.match(secret, /^tug_[A-Za-z0-9_-]{43}$/)
      const listed = store.tokens.list()
      assert.deepEqual(listed, [
        {id: token.id, account_id: account.id, description: 'ci', created_at: token.created_at, last_used_at: null, scope: 'global', app_id: null, expires_at: null},
      ])
      assert.ok(!JSON.stringify(listed).includes(secret))
      const row = store.db.prepare('SELECT token_hash FROM tokens WHERE id = ?').get(token.id) as {token_hash: string}
      assert.notEqual(row.token_hash, secret)
      assert.match(row.token_hash, /^[0-9a-f]{64}$/)
      store.db.pragma('wal_checkpoint(TRUNCATE)')
      assert.ok(!readFileSync(join(dir, 'tug.db')).includes(Buffer.from(secret)), 'the plaintext is nowhere in the database file')
    })

    it('authenticates the secret, records last use, and revokes', () => {
      const {token, secret} = store.tokens.create(account.id, null)
      assert.equal(store.tokens.authenticate(secret)?.id, token.id)
      assert.match(store.tokens.get(token.id)?.last_used_at ?? '', /Z$/)
      assert.equal(store.tokens.authenticate(`${secret}x`), undefined)
      assert.equal(store.tokens.authenticate(''), undefined)
      assert.equal(store.tokens.revoke(token.id), true)
      assert.equal(store.tokens.revoke(token.id), false)
      assert.equal(store.tokens.authenticate(secret), undefined)
    })
  })
})
