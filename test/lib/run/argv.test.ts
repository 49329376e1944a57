import assert from 'node:assert/strict'

import {splitRunArgv, valueFlagSpellings} from '../../../src/lib/run/argv.js'

describe('run/argv', () => {
  const value = new Set(['-a', '--app', '-e', '--env', '--size', '-s'])

  it('starts the command at the first word that is not a tug flag', () => {
    assert.deepEqual(splitRunArgv(['-a', 'shop', 'ls', '-la'], value), {flags: ['-a', 'shop'], command: ['ls', '-la']})
    assert.deepEqual(splitRunArgv(['--no-tty', '--app=shop', 'rake', 'db:migrate', '--trace'], value), {
      flags: ['--no-tty', '--app=shop'],
      command: ['rake', 'db:migrate', '--trace'],
    })
  })

  it('starts the command after --, keeping its words in order', () => {
    assert.deepEqual(splitRunArgv(['-a', 'shop', '--', 'ls', '-a', 'x'], value), {flags: ['-a', 'shop'], command: ['ls', '-a', 'x']})
    assert.deepEqual(splitRunArgv(['ls', '--', 'x'], value), {flags: [], command: ['ls', '--', 'x']})
  })

  it('returns no command when there is none', () => {
    assert.deepEqual(splitRunArgv(['-a', 'shop'], value), {flags: ['-a', 'shop'], command: []})
  })

  it('collects the spellings of value flags only', () => {
    const spellings = valueFlagSpellings({app: {type: 'option', char: 'a'}, tail: {type: 'boolean', char: 't'}, type: {type: 'option'}})
    assert.deepEqual([...spellings].sort(), ['--app', '--type', '-a'])
  })
})
