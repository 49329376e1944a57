import assert from 'node:assert/strict'

import type {LogSessionCreateBody} from '../../../src/shared/api-types.js'
import type {LogSessionRecord} from '../../../src/server/store/records.js'
import {compileFilter, dynoMatches, filterFromSession, processType} from '../../../src/server/logs/filter.js'

const DYNOS = ['web', 'web.1', 'web.12', 'webhook.1', 'worker.1', 'run.1234', 'api', 'logplex']

function matching(filter: Parameters<typeof compileFilter>[0], source = 'app'): string[] {
  const match = compileFilter(filter)
  return DYNOS.filter((dyno) => match(source, dyno))
}

describe('logs/filter', () => {
  it('takes the process type from a dyno name', () => {
    assert.equal(processType('web.1'), 'web')
    assert.equal(processType('run.1234'), 'run')
    assert.equal(processType('api'), 'api')
  })

  it('matches a dyno name or a type as logplex does: equal, or followed by a dot', () => {
    assert.deepEqual(matching({dyno: 'web'}), ['web', 'web.1', 'web.12'])
    assert.deepEqual(matching({dyno: 'web.1'}), ['web.1'])
    assert.deepEqual(matching({dyno: 'we'}), [])
    assert.equal(dynoMatches('web', 'webhook.1'), false)
    assert.equal(dynoMatches('web', 'web.'), true)
  })

  it('matches dyno_name exactly and type by the process type', () => {
    assert.deepEqual(matching({dynoName: 'web.1'}), ['web.1'])
    assert.deepEqual(matching({dynoName: 'web'}), ['web'])
    assert.deepEqual(matching({type: 'web'}), ['web', 'web.1', 'web.12'])
    assert.deepEqual(matching({type: 'run'}), ['run.1234'])
  })

  it('matches the source exactly, `heroku` also meaning tug', () => {
    const source = (filter: string, line: string) => compileFilter({source: filter})(line, 'web.1')
    assert.equal(source('app', 'app'), true)
    assert.equal(source('app', 'tug'), false)
    assert.equal(source('tug', 'tug'), true)
    assert.equal(source('heroku', 'tug'), true)
    assert.equal(source('heroku', 'app'), false)
    assert.equal(source('tug', 'app'), false)
  })

  it('needs every field to match, and matches everything when empty', () => {
    assert.deepEqual(matching({}), DYNOS)
    assert.deepEqual(matching({dyno: 'web', dynoName: 'web.12'}), ['web.12'])
    assert.deepEqual(matching({type: 'web', source: 'app'}, 'tug'), [])
    assert.deepEqual(matching({type: 'web', source: 'heroku'}, 'tug'), ['web', 'web.1', 'web.12'])
    assert.deepEqual(matching({dyno: '', source: ''}), DYNOS)
  })

  it('reads a log-session body, ignoring empty and non-string fields', () => {
    const body: LogSessionCreateBody = {dyno: 'web', dyno_name: 'web.2', type: 'web', source: 'heroku', lines: 5, tail: true}
    assert.deepEqual(filterFromSession(body), {
      dyno: 'web',
      dynoName: 'web.2',
      type: 'web',
      source: 'heroku',
    })
    const empty: LogSessionCreateBody = {dyno: '', lines: 100}
    assert.deepEqual(filterFromSession(empty), {})
    assert.deepEqual(filterFromSession(JSON.parse('{"dyno": 5, "source": null}')), {})
    const record: LogSessionRecord = {
      id: 'x', app_id: 'y', dyno: null, dyno_name: null, type: 'worker', source: null, lines: null, tail: true, created_at: '', expires_at: '',
    }
    assert.deepEqual(filterFromSession(record), {type: 'worker'})
  })
})
