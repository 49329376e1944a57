import assert from 'node:assert/strict'
import {after, before, describe, it} from 'mocha'
import {startApiServer, type TestApiServer} from '../../helpers/api-server.js'

describe('API: schedules', () => {
  let server: TestApiServer

  before(async () => {
    server = await startApiServer()
    await server.call('POST', '/apps', {body: {name: 'timed'}})
  })

  after(async () => {
    await server.close()
  })

  it('refuses a command with a NUL byte (422) and stores nothing: every run would fail to spawn', async () => {
    const response = await server.call('POST', '/apps/timed/schedules', {body: {schedule: '@hourly', command: 'echo a\u0000b'}})
    assert.equal(response.status, 422)
    assert.deepEqual(response.body, {id: 'invalid_params', message: 'command contains a NUL byte: a process cannot carry it.'})
    assert.deepEqual((await server.call('GET', '/apps/timed/schedules', {unchecked: true})).body, [])
    const fine = await server.call('POST', '/apps/timed/schedules', {body: {schedule: '@hourly', command: 'echo ab'}, unchecked: true})
    assert.equal(fine.status, 201)
  })
})
