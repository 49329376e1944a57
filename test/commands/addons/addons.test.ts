import assert from 'node:assert/strict'
import nock from 'nock'

import Addons from '../../../src/commands/addons/index.js'
import AddonsAttach from '../../../src/commands/addons/attach.js'
import AddonsCreate from '../../../src/commands/addons/create.js'
import AddonsDestroy from '../../../src/commands/addons/destroy.js'
import AddonsDetach from '../../../src/commands/addons/detach.js'
import AddonsInfo from '../../../src/commands/addons/info.js'
import type {AddOn, AddOnAttachment} from '../../../src/shared/api-types.js'
import {API, runCommand, useNock} from '../../helpers/capture.js'

const SHOP = {id: '01234567-89ab-cdef-0123-456789abcdef', name: 'shop'}
const REPORTS = {id: '11234567-89ab-cdef-0123-456789abcdef', name: 'reports'}
const ADDON_ID = 'a0000000-0000-0000-0000-000000000001'

const addon = (overrides: Partial<AddOn> = {}): AddOn => ({
  actions: [],
  addon_service: {id: '6c67493d-8fc2-4cd4-9161-4f1ec11cbe69', name: 'postgresql'},
  app: SHOP,
  billed_price: {cents: 0, contract: false, unit: 'month'},
  billing_entity: {...SHOP, type: 'app'},
  config_vars: ['DATABASE_URL'],
  created_at: '2026-11-27T11:15:29Z',
  id: ADDON_ID,
  name: 'postgresql-curved-12345',
  plan: {id: '0cf4be6e-d4b0-4bc8-a54d-2c3d7bd1a9a1', name: 'postgresql:mini'},
  provider_id: 'tug_a0000000000000000000000000000001',
  provision_message: 'Database has been created and is available.',
  state: 'provisioned',
  updated_at: '2026-11-27T11:15:29Z',
  web_url: null,
  ...overrides,
})

const attachment = (name: string, app = SHOP, id = 'b0000000-0000-0000-0000-000000000001'): AddOnAttachment => ({
  addon: {id: ADDON_ID, name: 'postgresql-curved-12345', app: SHOP},
  app,
  created_at: '2026-11-27T11:15:29Z',
  id,
  name,
  namespace: null,
  updated_at: '2026-11-27T11:15:29Z',
  web_url: null,
  log_input_url: null,
})

describe('addons commands', () => {
  useNock()

  describe('addons', () => {
    it("lists an app's add-ons with their attachments, here and on other apps", async () => {
      nock(API).get('/apps/shop/addons').reply(200, [addon()])
      nock(API).get('/addon-attachments').reply(200, [attachment('DATABASE'), attachment('SHOP_DB', REPORTS, 'b0000000-0000-0000-0000-000000000002')])
      const result = await runCommand(Addons, ['-a', 'shop'])
      assert.equal(result.stdout, [
        'Add-on                                Plan  State',
        'postgresql (postgresql-curved-12345)  mini  created',
        ' └─ as DATABASE',
        ' └─ as SHOP_DB on reports app',
        '',
        'The table above shows add-ons and the attachments to the current app (shop) or other apps.',
        '',
      ].join('\n'))
      assert.equal(result.code, 0)
    })

    it('lists every add-on with --all, says so when there are none, and prints the objects with --json', async () => {
      nock(API).get('/addons').reply(200, [addon()])
      const all = await runCommand(Addons, ['--all'])
      assert.equal(all.stdout, ['Owning app  Add-on                   Plan             State', 'shop        postgresql-curved-12345  postgresql:mini  created', ''].join('\n'))
      nock(API).get('/apps/shop/addons').reply(200, [])
      const none = await runCommand(Addons, ['-a', 'shop'])
      assert.deepEqual([none.stdout, none.stderr], ['', 'No add-ons for app shop.\n'])
      nock(API).get('/apps/shop/addons').reply(200, [addon()])
      nock(API).get('/addon-attachments').reply(200, [])
      const json = await runCommand(Addons, ['-a', 'shop', '--json'])
      assert.deepEqual(JSON.parse(json.stdout), [addon()])
    })
  })

  describe('addons:create', () => {
    it('posts the plan (and --as, --name) as Heroku does and says what it set', async () => {
      nock(API)
        .post('/apps/shop/addons', {plan: {name: 'heroku-postgresql:basic'}, attachment: {name: 'MAIN'}, name: 'shop-db'})
        .reply(201, addon({name: 'shop-db', config_vars: ['MAIN_URL']}))
      const result = await runCommand(AddonsCreate, ['heroku-postgresql:basic', '--as', 'MAIN', '--name', 'shop-db', '-a', 'shop'])
      assert.equal(result.stdout, 'Database has been created and is available.\nCreated shop-db as MAIN_URL\n')
      assert.equal(result.stderr, 'Creating heroku-postgresql:basic on shop... done\n')
      assert.equal(result.code, 0)
    })

    it("shows the server's 422 naming the valid plans", async () => {
      const message = 'Couldn\'t find the plan "huge" of postgresql. Its plans are postgresql:mini, postgresql:basic, postgresql:standard-0.'
      nock(API).post('/apps/shop/addons').reply(422, {id: 'invalid_params', message})
      const result = await runCommand(AddonsCreate, ['postgresql:huge', '-a', 'shop'])
      assert.equal(result.code, 1)
      assert.ok(result.stderr.includes(`Error: ${message}`), result.stderr)
    })

    it('needs a service and an app', async () => {
      assert.equal((await runCommand(AddonsCreate, ['-a', 'shop'])).code, 2)
      const noApp = await runCommand(AddonsCreate, ['redis'])
      assert.equal(noApp.code, 2)
      assert.match(noApp.stderr, /No app specified/)
    })
  })

  describe('addons:info', () => {
    it('shows the plan, attachments, owning app and state', async () => {
      nock(API).get('/apps/shop/addons/DATABASE').reply(200, addon())
      nock(API).get('/addon-attachments').reply(200, [attachment('DATABASE'), attachment('SHOP_DB', REPORTS, 'b0000000-0000-0000-0000-000000000002')])
      const result = await runCommand(AddonsInfo, ['DATABASE', '-a', 'shop'])
      assert.equal(result.stdout, [
        '=== postgresql-curved-12345',
        '',
        'Plan:         postgresql:mini',
        'Attachments:  shop::DATABASE, reports::SHOP_DB',
        'Owning app:   shop',
        'Installed at: 2026-11-27T11:15:29Z',
        'State:        created',
        '',
      ].join('\n'))
    })

    it('finds an add-on by name without an app', async () => {
      nock(API).get('/addons/postgresql-curved-12345').reply(200, addon())
      nock(API).get('/addon-attachments').reply(200, [])
      const result = await runCommand(AddonsInfo, ['postgresql-curved-12345'])
      assert.match(result.stdout, /^=== postgresql-curved-12345\n/)
    })
  })

  describe('addons:destroy', () => {
    it('destroys it on its owning app with --confirm', async () => {
      nock(API).get('/addons/postgresql-curved-12345').reply(200, addon())
      nock(API).delete(`/apps/shop/addons/${ADDON_ID}`).reply(200, addon({state: 'deprovisioned', config_vars: []}))
      const result = await runCommand(AddonsDestroy, ['postgresql-curved-12345', '--confirm', 'shop'])
      assert.equal(result.stderr, 'Destroying postgresql-curved-12345 on shop... done\n')
      assert.equal(result.code, 0)
    })

    it('refuses without confirmation, or with the wrong one, and destroys nothing', async () => {
      nock(API).get('/addons/postgresql-curved-12345').reply(200, addon())
      const none = await runCommand(AddonsDestroy, ['postgresql-curved-12345'])
      assert.equal(none.code, 2)
      assert.match(none.stderr, /Refusing to destroy postgresql-curved-12345 without confirmation\.[\s\S]*--confirm shop/)
      nock(API).get('/addons/postgresql-curved-12345').reply(200, addon())
      const wrong = await runCommand(AddonsDestroy, ['postgresql-curved-12345', '--confirm', 'reports'])
      assert.equal(wrong.code, 2)
      assert.match(wrong.stderr, /Confirmation "reports" did not match shop\. Nothing was destroyed\./)
      assert.ok(nock.isDone())
    })
  })

  describe('addons:attach and addons:detach', () => {
    it('attaches by name, --as NAME, and says what it set', async () => {
      nock(API).post('/addon-attachments', {addon: 'postgresql-curved-12345', app: 'reports', name: 'shop_db'}).reply(201, attachment('SHOP_DB', REPORTS))
      const result = await runCommand(AddonsAttach, ['postgresql-curved-12345', '--as', 'shop_db', '-a', 'reports'])
      assert.equal(result.stderr, 'Attaching postgresql-curved-12345 as SHOP_DB to reports... done\n')
      assert.equal(result.stdout, "Set SHOP_DB_URL on reports; its dynos restart.\n")
    })

    it('detaches by attachment name', async () => {
      nock(API).get('/apps/reports/addon-attachments/SHOP_DB').reply(200, attachment('SHOP_DB', REPORTS))
      nock(API).delete('/addon-attachments/b0000000-0000-0000-0000-000000000001').reply(200, attachment('SHOP_DB', REPORTS))
      const result = await runCommand(AddonsDetach, ['SHOP_DB', '-a', 'reports'])
      assert.equal(result.stderr, 'Detaching SHOP_DB to postgresql-curved-12345 from reports... done\n')
      assert.equal(result.code, 0)
    })
  })
})
