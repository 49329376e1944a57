// Why a one-off's request moves the control plane into the cgroup it is already in.
//
// Every move of a process into a cgroup (a write to cgroup.procs) takes the kernel's cgroup
// migration lock for writing. The first such write after a quiet spell waits for an RCU grace
// period (the lock's switch to its slow path: 7-16 ms measured on this machine, with no CPU
// spent), and writes within about one grace period after it do not. A dyno's shell makes that
// write before it execs the dyno (DynoCgroup.wrap), so a `tug run` after a quiet spell waited the
// whole grace period before its command ran. Started when the request arrives, the wait overlaps
// the record's writes, the sandbox's preparation and the spawn instead. Writing our own pid into
// our own cgroup moves nothing.
import {openSync, write} from 'node:fs'
import {dirname, join} from 'node:path'

import type {Cgroups} from './cgroups.js'

/** Descriptors of the control plane's own cgroup.procs files, opened once (close-on-exec) and kept. */
const primeFds = new Map<string, number>()

/**
 * Writes our pid into `file` in one request to the thread pool (fs.writeFile's open, write and
 * close would each wait for a turn of the event loop, busy with the request just then). Never
 * rejects: priming is best effort.
 */
function primeWrite(file: string): Promise<void> {
  return new Promise((resolve) => {
    let fd = primeFds.get(file)
    try {
      if (fd === undefined) {
        fd = openSync(file, 'w')
        primeFds.set(file, fd)
      }
    } catch {
      resolve()
      return
    }
    write(fd, String(process.pid), 0, () => resolve())
  })
}

/** The write in flight per file: one is enough, the lock stays fast for all that follow it. */
const inFlight = new Map<string, Promise<void>>()

/**
 * Takes the lock ahead of a dyno's move, by moving the control plane into the cgroup it is already
 * in: on v1, `<own>` of the pids plane `<own>/tug/<plane>`. v2 has no such cgroup of ours (the
 * plane sits under the root), so nothing is done there. Resolves once written (or failed).
 */
export function primeMigration(cgroups: Pick<Cgroups, 'version' | 'planeDirs'>): Promise<void> {
  // v1's plane directories are memory, cpu, pids, in that order.
  const plane = cgroups.version === 1 ? cgroups.planeDirs[2] : undefined
  if (plane === undefined) return Promise.resolve()
  const file = join(dirname(dirname(plane)), 'cgroup.procs')
  let pending = inFlight.get(file)
  if (pending === undefined) {
    pending = primeWrite(file).finally(() => inFlight.delete(file))
    inFlight.set(file, pending)
  }
  return pending
}
