// `npm run test:unit` is the quick loop: it must run no end-to-end test. The e2e tests are the ones
// that start the real `tug` binary or a real control plane process through the e2e helpers, so no
// test that test:unit picks up may use those helpers or the binary.
import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const UNIT_DIRS = ['shared', 'lib', 'commands', 'server']
/** The e2e helpers (the built binary, a `tug server` process, a long-running `tug`) and the binary itself. */
const E2E_ONLY = /helpers\/control-plane\.js|helpers\/tug-process\.js|bin\/run\.js|['"]bin['"], ['"]run\.js['"]/

function files(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  )
}

describe('test layout', () => {
  it('test:unit covers test/{shared,lib,commands,server} and not test/e2e', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {scripts: Record<string, string>}).scripts
    assert.match(scripts['test:unit'] ?? '', new RegExp(`'test/\\{${UNIT_DIRS.join(',')}\\}/\\*\\*/\\*\\.test\\.ts'`))
    assert.doesNotMatch(scripts['test:unit'] ?? '', /e2e/)
  })

  it('no test under those folders starts the tug binary or a control plane process', () => {
    const offenders = UNIT_DIRS.flatMap((dir) => files(join(ROOT, 'test', dir)))
      .filter((file) => E2E_ONLY.test(readFileSync(file, 'utf8')))
      .map((file) => relative(ROOT, file))
    assert.deepEqual(offenders, [], 'these belong in test/e2e')
  })
})
