// How a child process ended, in words: spawnSync reports a signal with `status: null`, which
// read as "exited with status null" when the demo was stopped by one.
import {constants} from 'node:os'

/** `exited with status 3`, or `was stopped by SIGTERM`. */
export function describeExit({status, signal}) {
  return signal ? `was stopped by ${signal}` : `exited with status ${status}`
}

/** The exit status a shell gives a process ended by `signal` (128 + its number), or its own status. */
export function exitCodeOf({status, signal}) {
  if (signal) return 128 + (constants.signals[signal] ?? 0)
  return status ?? 1
}
