import assert from 'node:assert/strict'
import nock from 'nock'

import Drains from '../../../src/commands/drains/index.js'
import DrainsAdd from '../../../src/commands/drains/add.js'
import DrainsRemove from '../../../src/commands/drains/remove.js'
import type {LogDrain} from '../../../src/shared/api-types.js'
import {API, runCommand, useNock} from '../../helpers/capture.js'

const drain = (url: string, n = 1): LogDrain => ({
  addon: null,
  app: {id: '01234567-89ab-cdef-0123-456789abcdef', name: 'shop'},
  created_at: '2026-11-27T11:15:29Z',
  id: `00000000-0000-0000-0000-00000000000${n}`,
  token: `d.00000000-0000-0000-0000-0000000000d${n}`,
  updated_at: '2026-11-27T11:15:29Z',
  url,
})

describe('drains commands', () => {
  useNock()

  describe('drains', () => {
    it('lists each drain as URL (token)', async () => {
      nock(API).get('/apps/shop/log-drains').reply(200, [drain('syslog://logs.example.com:514'), drain('https://logs.example.com/x', 2)])
      const result = await runCommand(Drains, ['-a', 'shop'])
      assert.equal(result.stdout, [
        '=== Drains',
        'syslog://logs.example.com:514 (d.00000000-0000-0000-0000-0000000000d1)',
        'https://logs.example.com/x (d.00000000-0000-0000-0000-0000000000d2)',
        '',
      ].join('\n'))
      assert.equal(result.code, 0)
    })

    it('says so when there are none (stderr), and prints the objects with --json', async () => {
      nock(API).get('/apps/shop/log-drains').reply(200, [])
      const none = await runCommand(Drains, ['-a', 'shop'])
      assert.equal(none.stdout, '')
      assert.equal(none.stderr, 'shop has no log drains.\n')
      nock(API).get('/apps/shop/log-drains').reply(200, [drain('syslog://h:1')])
      const json = await runCommand(Drains, ['-a', 'shop', '--json'])
      assert.deepEqual(JSON.parse(json.stdout), [drain('syslog://h:1')])
    })

    it('needs an app', async () => {
      const result = await runCommand(Drains, [])
      assert.equal(result.code, 2)
      assert.match(result.stderr, /No app specified/)
    })
  })

  describe('drains:add', () => {
    it('posts the URL and confirms', async () => {
      nock(API).post('/apps/shop/log-drains', {url: 'syslog+tls://logs.example.com:6514'}).reply(201, drain('syslog+tls://logs.example.com:6514'))
      const result = await runCommand(DrainsAdd, ['syslog+tls://logs.example.com:6514', '-a', 'shop'])
      assert.equal(result.stdout, 'Successfully added drain syslog+tls://logs.example.com:6514\n')
      assert.equal(result.code, 0)
    })

    it("shows the server's 422", async () => {
      nock(API).post('/apps/shop/log-drains').reply(422, {id: 'invalid_params', message: 'Url has already been taken'})
      const result = await runCommand(DrainsAdd, ['syslog://h:1', '-a', 'shop'])
      assert.equal(result.code, 1)
      assert.match(result.stderr, /^Error: Url has already been taken/)
    })

    it('needs a URL', async () => {
      const result = await runCommand(DrainsAdd, ['-a', 'shop'])
      assert.equal(result.code, 2)
    })
  })

  describe('drains:remove', () => {
    it('deletes by URL, URL-encoded in the path', async () => {
      nock(API).delete('/apps/shop/log-drains/https%3A%2F%2Flogs.example.com%2Fx').reply(200, drain('https://logs.example.com/x'))
      const result = await runCommand(DrainsRemove, ['https://logs.example.com/x', '-a', 'shop'])
      assert.equal(result.stdout, 'Successfully removed drain https://logs.example.com/x\n')
    })

    it('deletes by token', async () => {
      nock(API).delete('/apps/shop/log-drains/d.00000000-0000-0000-0000-0000000000d1').reply(200, drain('syslog://h:1'))
      const result = await runCommand(DrainsRemove, ['d.00000000-0000-0000-0000-0000000000d1', '-a', 'shop', '--json'])
      assert.deepEqual(JSON.parse(result.stdout), drain('syslog://h:1'))
    })

    it("shows the server's 404", async () => {
      nock(API).delete('/apps/shop/log-drains/syslog%3A%2F%2Fnope%3A1').reply(404, {id: 'not_found', message: "Couldn't find that log drain.", resource: 'log-drain'})
      const result = await runCommand(DrainsRemove, ['syslog://nope:1', '-a', 'shop'])
      assert.equal(result.code, 1)
      assert.match(result.stderr, /^Error: Couldn't find that log drain\./)
    })
  })
})
