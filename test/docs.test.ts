// The command reference in docs/commands.md is generated from the commands (scripts/docs.js); this
// fails when a command's flags, arguments, description or examples changed without regenerating it.
import {strict as assert} from 'node:assert'
import {spawnSync} from 'node:child_process'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

describe('docs/commands.md', function () {
  this.timeout(180_000)

  it('is what `npm run docs` generates from the commands', () => {
    const result = spawnSync(process.execPath, [join(root, 'scripts', 'docs.js'), '--check'], {cwd: root, encoding: 'utf8'})
    assert.equal(result.status, 0, `${result.stderr}${result.stdout}`)
    assert.equal(result.stdout, 'docs/commands.md matches the commands.\n')
  })
})
