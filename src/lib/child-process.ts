// node:child_process (with dgram and the rest it loads) costs a short command ~12M instructions
// (~3 ms) to import, and most commands never start a process: the few places that do (git
// remotes, the local control plane's autostart) get it here when they first need it (issue 19),
// as the rest of the CLI gets a built-in lazily (process.getBuiltinModule, which caches it).
import type * as ChildProcess from 'node:child_process'

export function childProcess(): typeof ChildProcess {
  return process.getBuiltinModule('node:child_process') as typeof ChildProcess
}
