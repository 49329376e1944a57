// Whether an installed version satisfies a package.json engines range, with the semver module
// npm itself uses (so `>=18`, `20.x`, `^20.1.0`, `18 || 20` mean what npm says they mean).
//
//   node satisfies.mjs SEMVER_DIR VERSION RANGE
//
// Exit 0: satisfied; 1: not satisfied; 2: the range is not a valid semver range; 3: no semver
// module at SEMVER_DIR.
import {createRequire} from 'node:module'

const [semverDir, version, range] = process.argv.slice(2)
let semver
try {
  semver = createRequire(import.meta.url)(semverDir)
} catch {
  process.exit(3)
}
if (semver.validRange(range) === null) process.exit(2)
process.exit(semver.satisfies(version, range) ? 0 : 1)
