// The gate of an attached one-off (see pod-attach.ts): its container waits for one byte on stdin
// before running the command, so that nothing it writes is lost before the attach connects. Under
// a TTY, that byte would be echoed if it came before the script turned the terminal's echo off, so
// the script then prints GATE_READY on a line of its own, and the byte is sent only once that line
// was seen: on the attach stream, or in the pod's log when it was printed before the attach
// connected. The line is taken out of the stream here, and out of the log by its readers.
import type {KubeConfig} from '@kubernetes/client-node'

import {readPodLog} from './io-log-read.js'

/** What a gated script prints under a TTY once its echo is off: an OSC sequence terminals ignore. */
export const GATE_READY = '\u001b]7771;tug-gate\u0007'
const READY_LINE = Buffer.from(`${GATE_READY}\r\n`)

/** Waits for stdin's first byte (echo off under a TTY, then GATE_READY), then runs `command` in the same shell. */
export function gatedCommand(command: string): string {
  return [
    `if [ -t 0 ]; then __tug_tty=$(stty -g); stty -echo; printf '\\033]7771;tug-gate\\007\\n'; fi`,
    `dd bs=1 count=1 of=/dev/null 2>/dev/null`,
    `if [ -n "$__tug_tty" ]; then stty "$__tug_tty"; fi; unset __tug_tty`,
    command,
  ].join('\n')
}

/**
 * A TTY's stdout until the gate is open and GATE_READY taken out of it. Nothing of the command can
 * come before the gate's byte is sent, so once the gate is open the stream starts either with that
 * line (printed after the attach connected) or with the command's output.
 */
export class TtyGate {
  private held: Buffer | undefined = Buffer.alloc(0)
  private opened = false

  constructor(
    private readonly deliver: (data: Buffer) => void,
    private readonly sendByte: () => void,
  ) {}

  push(data: Buffer): void {
    if (this.held === undefined) return this.deliver(data)
    this.held = Buffer.concat([this.held, data])
    this.settle()
  }

  /** GATE_READY was found in the pod's log: echo is off already. */
  open(): void {
    if (this.opened) return
    this.opened = true
    this.sendByte()
    this.settle()
  }

  /** The stream is over: whatever was held is delivered. */
  flush(): void {
    const held = this.held
    this.held = undefined
    if (held && held.length > 0) this.deliver(held)
  }

  private settle(): void {
    const held = this.held
    if (held === undefined) return
    const at = held.indexOf(READY_LINE)
    if (at !== -1) {
      this.held = undefined
      this.deliver(Buffer.concat([held.subarray(0, at), held.subarray(at + READY_LINE.length)]))
      this.open()
    } else if (this.opened && !READY_LINE.subarray(0, held.length).equals(held)) {
      // Open, and not the start of the line: the command's output.
      this.flush()
    }
  }
}

/** Whether the gated script printed GATE_READY already (then its echo is off). */
export async function readyInLog(kc: KubeConfig, target: {namespace: string; pod: string; container: string}): Promise<boolean> {
  let ready = false
  await readPodLog(kc, target, {follow: false, limitBytes: 4096}, (line) => {
    if (line === GATE_READY) ready = true
  }).done.catch(() => undefined)
  return ready
}
