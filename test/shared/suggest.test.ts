import assert from 'node:assert/strict'

import {commandNotFoundMessage, editDistance, processTypeSuggestion, suggestCommands} from '../../src/shared/suggest.js'

const KNOWN = ['apps', 'apps:create', 'config', 'config:set', 'logs', 'ps', 'ps:restart', 'ps:scale', 'ps:stop', 'ps:wait', 'run', 'run:detached']

describe('suggest', () => {
  it('measures edits', () => {
    assert.equal(editDistance('ps:scal', 'ps:scale'), 1)
    assert.equal(editDistance('apss', 'apps'), 1)
    assert.equal(editDistance('apss', 'ps'), 2)
    assert.equal(editDistance('', 'run'), 3)
    assert.equal(editDistance('logs', 'logs'), 0)
  })

  it('suggests the nearest commands for a typo, every one at the smallest distance', () => {
    assert.deepEqual(suggestCommands('ps:scal', KNOWN), ['ps:scale'])
    assert.deepEqual(suggestCommands('apss', KNOWN), ['apps'])
    assert.deepEqual(suggestCommands('logz', ['logs', 'logx', 'ps']), ['logs', 'logx'])
    assert.deepEqual(suggestCommands('deploy-all-the-things', KNOWN), [])
  })

  it('says what to run instead, or where the list is', () => {
    assert.equal(
      commandNotFoundMessage('tug', 'ps:scal', KNOWN),
      'Error: tug ps:scal is not a tug command. Did you mean tug ps:scale?\nRun `tug --help` for the list of commands.\n',
    )
    assert.equal(
      commandNotFoundMessage('tug', 'logz', ['logs', 'logx']),
      'Error: tug logz is not a tug command. Did you mean tug logs, or tug logx?\nRun `tug --help` for the list of commands.\n',
    )
    assert.equal(commandNotFoundMessage('tug', 'frobnicate', KNOWN), 'Error: tug frobnicate is not a tug command.\nRun `tug --help` for the list of commands.\n')
  })

  it('suggests the nearest process type and lists them all', () => {
    assert.equal(processTypeSuggestion('wbe', ['web', 'worker', 'clock']), ' Did you mean web? Its process types are web, worker, clock.')
    assert.equal(processTypeSuggestion('nosuch', ['web', 'worker']), ' Its process types are web, worker.')
    assert.equal(processTypeSuggestion('web', []), ' It has no process types yet.')
  })
})
