import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {Command, Config, type Interfaces} from '@oclif/core'

import {hotConfig, hotPathAllowed, runHotPath, type HotPathInput} from '../../../src/lib/cli/hot-path.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const PJSON = JSON.parse(readFileSync(new URL('package.json', `file://${ROOT}`), 'utf8')) as Interfaces.PJSON
const INDEX = {ps: 'dist/commands/ps/index.js', 'config:get': 'dist/commands/config/get.js'}

function input(argv: string[], env: NodeJS.ProcessEnv = {}, pjson: Interfaces.PJSON = PJSON): HotPathInput {
  return {root: ROOT, pjson, argv, env, index: INDEX}
}

describe('cli/hot-path', () => {
  it('takes a command of the index, with its flags and arguments', () => {
    assert.equal(hotPathAllowed(input(['ps', '-a', 'shop', '--json'])), true)
    assert.equal(hotPathAllowed(input(['config:get', 'FOO', '-a', 'shop'])), true)
    // --help after `--` belongs to the command's arguments, as oclif reads it.
    assert.equal(hotPathAllowed(input(['ps', '--', '--help'])), true)
  })

  it('leaves to oclif what it does not know: no id, an unknown id, a topic, an alias, help', () => {
    for (const argv of [[], ['--version'], ['-v'], ['help'], ['pss'], ['config'], ['rollback'], ['ps', '--help'], ['--help', 'ps'], ['ps', '-a', 'x', '--help']]) {
      assert.equal(hotPathAllowed(input(argv)), false, argv.join(' '))
    }
  })

  it('leaves to oclif a debugging run and a package with hooks around commands', () => {
    assert.equal(hotPathAllowed(input(['ps'], {DEBUG: '*'})), false)
    assert.equal(hotPathAllowed(input(['ps'], {TUG_DEBUG: '1'})), false)
    for (const event of ['init', 'prerun', 'preparse', 'postrun', 'finally']) {
      const pjson = {...PJSON, oclif: {...PJSON.oclif, hooks: {...PJSON.oclif.hooks, [event]: './dist/hooks/x.js'}}}
      assert.equal(hotPathAllowed(input(['ps'], {}, pjson)), false, event)
    }
    const spaced = {...PJSON, oclif: {...PJSON.oclif, topicSeparator: ' ' as const}}
    assert.equal(hotPathAllowed(input(['ps'], {}, spaced)), false)
    const helpFlags = {...PJSON, oclif: {...PJSON.oclif, additionalHelpFlags: ['-h']}}
    assert.equal(hotPathAllowed(input(['ps', '-h'], {}, helpFlags)), false)
  })

  it("builds the fields of oclif's Config.load that commands read, with the same values", async () => {
    for (const env of [{HOME: '/home/someone', SHELL: '/bin/zsh'}, {HOME: '/h', XDG_CONFIG_HOME: '/xc', XDG_DATA_HOME: '/xd', XDG_CACHE_HOME: '/xh', TUG_CONFIG_DIR: '/cfg'}]) {
      const saved = {...process.env}
      try {
        for (const key of ['SHELL', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'TUG_CONFIG_DIR', 'TUG_DATA_DIR', 'TUG_CACHE_DIR']) delete process.env[key]
        Object.assign(process.env, env)
        const real = await Config.load({root: ROOT, pjson: PJSON})
        const hot = hotConfig({root: ROOT, pjson: PJSON, env: process.env})
        for (const field of ['root', 'name', 'version', 'channel', 'bin', 'dirname', 'topicSeparator', 'flexibleTaxonomy', 'isSingleCommandCLI', 'arch', 'platform', 'windows', 'shell', 'home', 'cacheDir', 'configDir', 'dataDir', 'userAgent', 'valid'] as const) {
          assert.deepEqual(hot[field], real[field], field)
        }
        assert.deepEqual(hot.scopedEnvVarKeys('REDIRECTED'), real.scopedEnvVarKeys('REDIRECTED'))
        assert.equal(hot.scopedEnvVarKey('CONTENT_TYPE'), real.scopedEnvVarKey('CONTENT_TYPE'))
        assert.equal(hot.scopedEnvVar('CONFIG_DIR'), real.scopedEnvVar('CONFIG_DIR'))
        assert.deepEqual(await hot.runHook('preparse', {argv: [], options: {}}), {failures: [], successes: []})
      } finally {
        for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
        Object.assign(process.env, saved)
      }
    }
  })

  it('runs nothing and says so for a module without a TugCommand (oclif then runs it)', async () => {
    class Plain extends Command {
      async run(): Promise<void> {
        throw new Error('not to be run')
      }
    }
    const loaded: string[] = []
    const load = async (path: string) => {
      loaded.push(path)
      return path.endsWith('index.js') ? {default: Plain} : {}
    }
    assert.equal(await runHotPath({...input(['ps', '-a', 'shop']), load}), false)
    assert.equal(await runHotPath({...input(['config:get', 'FOO']), load}), false)
    assert.deepEqual(loaded, ['dist/commands/ps/index.js', 'dist/commands/config/get.js'])
  })
})
