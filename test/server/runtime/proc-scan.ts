// An independent look at the process table (ps, not the code under test), so that the tests
// check what really runs rather than what the backend says.

import {execFileSync} from 'node:child_process'

/** The pids of live (non-zombie) processes in process group `pgid`. */
export function groupPids(pgid: number): number[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,pgid=,stat='], {encoding: 'utf8'})
  const pids: number[] = []
  for (const row of out.split('\n')) {
    const [pid, group, stat] = row.trim().split(/\s+/)
    if (pid === undefined || group === undefined || stat === undefined) continue
    if (Number(group) === pgid && !stat.startsWith('Z')) pids.push(Number(pid))
  }
  return pids
}

/** Last resort in afterEach: whatever a failed test left in these groups is killed. */
export function killGroups(pgids: Iterable<number>): void {
  for (const pgid of pgids) {
    try {
      process.kill(-pgid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
}
