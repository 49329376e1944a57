import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'

// semver comes with @oclif/core (as npm uses it for the same check); it ships no types, so the
// one function used here is typed by hand.
const semver = createRequire(import.meta.url)('semver') as {satisfies(version: string, range: string): boolean}

interface LockEntry {
  version?: string
  engines?: Record<string, string> | string[]
}

describe('package-lock.json', () => {
  it('installs nothing whose engines refuse the Node the project runs on (npm ci prints no EBADENGINE)', () => {
    const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8')) as {packages: Record<string, LockEntry>}
    const refused = Object.entries(lock.packages)
      .filter(([, entry]) => entry.engines !== undefined && !Array.isArray(entry.engines) && typeof entry.engines.node === 'string')
      .filter(([, entry]) => !semver.satisfies(process.versions.node, (entry.engines as Record<string, string>).node as string))
      .map(([path, entry]) => `${path}@${entry.version ?? '?'} requires node ${(entry.engines as Record<string, string>).node}`)
    assert.deepEqual(refused, [])
  })
})
