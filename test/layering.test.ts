// The layering check (npm run lint:deps) on a small tree that breaks each rule once: every rule of
// .dependency-cruiser.cjs must catch its violation, and what the layering allows must pass.
// `npm run lint:deps` itself holds src/ to the same rules.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {promisify} from 'node:util'

const root = resolve(import.meta.dirname, '..')

const TREE: Record<string, string> = {
  // Allowed: the CLI loads the server's entry lazily; the server uses src/shared; http/ and the
  // composition root use http/; the domain throws its own error.
  'src/commands/server.ts': "export const start = async () => (await import('../server/index.js')).start\n",
  'src/server/index.ts': "import {x} from './http/errors.js'\nexport const start = x\n",
  'src/server/http/errors.ts': "import {DomainError} from '../domain/errors.js'\nimport {w} from '../../shared/wire.js'\nexport const x = [DomainError, w]\n",
  'src/server/domain/errors.ts': 'export class DomainError extends Error {}\n',
  'src/shared/wire.ts': 'export const w = 1\n',
  // One violation per rule.
  'src/server/runtime/probe.ts': "import {x} from '../http/errors.js'\nexport const p = x\n",
  'src/lib/store-user.ts': "import {s} from '../server/store/index.js'\nexport const u = s\n",
  'src/server/store/index.ts': 'export const s = 1\n',
  'src/commands/eager.ts': "import {start} from '../server/index.js'\nexport const e = start\n",
  'src/server/domain/rule.ts': "import {CliError} from '../../lib/errors.js'\nexport const r = CliError\n",
  'src/lib/errors.ts': 'export class CliError extends Error {}\n',
  'src/shared/impure.ts': "import {CliError} from '../lib/errors.js'\nexport const i = CliError\n",
  'src/lib/cycle-a.ts': "import type {B} from './cycle-b.js'\nexport interface A {b?: B}\n",
  'src/lib/cycle-b.ts': "import type {A} from './cycle-a.js'\nexport interface B {a?: A}\n",
  'src/lib/double.ts': "import {helper} from '../../test/helper.js'\nexport const d = helper\n",
  'test/helper.ts': 'export const helper = 1\n',
  'src/lib/lost.ts': "import {gone} from './gone.js'\nexport const l = gone\n",
  'src/lib/orphan.ts': 'export const o = 1\n',
}

interface Violation {
  from: string
  to: string
  rule: {name: string}
}

describe('the layering check (.dependency-cruiser.cjs)', function () {
  this.timeout(60_000)
  let dir: string

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tug-layering-'))
    for (const [path, text] of Object.entries(TREE)) {
      mkdirSync(dirname(join(dir, path)), {recursive: true})
      writeFileSync(join(dir, path), text)
    }
    copyFileSync(join(root, 'tsconfig.json'), join(dir, 'tsconfig.json'))
  })

  after(() => rmSync(dir, {recursive: true, force: true}))

  it('reports each rule broken (a cycle once), and nothing the layering allows', async () => {
    const run = promisify(execFile)
    const bin = join(root, 'node_modules', '.bin', 'depcruise')
    // depcruise exits non-zero when it finds violations; the report is on stdout either way.
    const output = await run(bin, ['src', '--config', join(root, '.dependency-cruiser.cjs'), '--output-type', 'json'], {cwd: dir, maxBuffer: 16 * 1024 * 1024})
      .then((r) => r.stdout)
      .catch((error: {stdout?: string}) => error.stdout ?? '')
    const violations = (JSON.parse(output) as {summary: {violations: Violation[]}}).summary.violations
    const found = violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort()
    assert.deepEqual(found, [
      'cli-loads-server-lazily: src/commands/eager.ts -> src/server/index.ts',
      'http-is-the-top: src/server/runtime/probe.ts -> src/server/http/errors.ts',
      'no-circular: src/lib/cycle-a.ts -> src/lib/cycle-b.ts',
      'no-cli-to-server: src/lib/store-user.ts -> src/server/store/index.ts',
      'no-orphans: src/lib/orphan.ts -> src/lib/orphan.ts',
      'not-to-test: src/lib/double.ts -> test/helper.ts',
      'not-to-unresolvable: src/lib/lost.ts -> ./gone.js',
      'server-only-shared: src/server/domain/rule.ts -> src/lib/errors.ts',
      'shared-is-pure: src/shared/impure.ts -> src/lib/errors.ts',
    ])
  })
})
