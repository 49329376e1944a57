// The real `tug` binary as a long-running child (`logs --tail`): its stdout is collected line by
// line as it comes, it can be paused (SIGSTOP, as a reader that stops reading) and resumed, and
// every one still running is killed when the test process exits.
import {spawn, type ChildProcess} from 'node:child_process'
import {BIN, cleanEnv, ensureBuilt, ROOT} from './control-plane.js'
import {waitFor} from './wait-for.js'

export interface TugProcess {
  /** Complete stdout lines so far. */
  lines: string[]
  stderr(): string
  exited: Promise<{code: number | null; signal: NodeJS.Signals | null}>
  isRunning(): boolean
  /** Resolves once `condition` holds (checked every 50 ms); rejects after the deadline, with the output so far. */
  waitFor(condition: (lines: string[]) => boolean, what: string, timeoutMs?: number): Promise<void>
  pause(): void
  resume(): void
  /** Sends a signal (as a terminal's Ctrl-C sends SIGINT). */
  kill(signal: NodeJS.Signals): void
  /** SIGTERM (SIGKILL after 5 s), and waits for the exit. */
  stop(): Promise<void>
}

const running = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of running) {
    try {
      child.kill('SIGKILL')
    } catch {
      // gone
    }
  }
})

export function spawnTug(args: string[], env: Record<string, string | undefined>): TugProcess {
  ensureBuilt()
  const child = spawn(process.execPath, [BIN, ...args], {cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe']})
  running.add(child)
  const lines: string[] = []
  let partial = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n')
    partial = parts.pop() ?? ''
    for (const part of parts) lines.push(part)
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => {
    child.on('close', (code, signal) => {
      running.delete(child)
      resolve({code, signal})
    })
  })
  const isRunning = (): boolean => child.exitCode === null && child.signalCode === null
  return {
    lines,
    stderr: () => stderr,
    exited,
    isRunning,
    async waitFor(condition, what, timeoutMs = 60_000) {
      await waitFor(() => condition(lines), {
        what: () => `${what} (${lines.length} lines so far; last: ${lines.slice(-3).join(' | ')}; stderr: ${stderr})`,
        timeoutMs,
        intervalMs: 50,
      })
    },
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    kill: (signal) => void child.kill(signal),
    async stop() {
      if (!isRunning()) return
      child.kill('SIGCONT')
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}
