// node:child_process (with dgram and the rest it loads) costs a short command ~12M instructions
// (~3 ms) to import, and most commands never start a process: the few places that do (git
// remotes, the local control plane's autostart) require it here when they first need it (issue 19).
import {createRequire} from 'node:module'

import type * as ChildProcess from 'node:child_process'

let loaded: typeof ChildProcess | undefined

export function childProcess(): typeof ChildProcess {
  loaded ??= createRequire(import.meta.url)('node:child_process') as typeof ChildProcess
  return loaded
}
