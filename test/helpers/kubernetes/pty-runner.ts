// A container or exec with `tty: true` runs under a pseudo-terminal made by a small Python program
// (python3's pty module): stdin goes to the terminal (its end becomes ^D, as a terminal's EOF),
// the terminal's output (stdout and stderr merged, as with a real TTY) comes out on stdout, and
// "COLS ROWS\n" lines written to fd 3 resize the terminal (the program gets SIGWINCH). It exits
// with the program's exit code (128+N after signal N), and passes SIGTERM/SIGINT/SIGHUP on to it (the program alone, as a
// container runtime signals only the container's main process).
import type {ChildProcess} from 'node:child_process'
import type {Writable} from 'node:stream'

export const PTY_RUNNER = String.raw`
import fcntl, os, pty, select, signal, struct, sys, termios
argv = sys.argv[1:]
pid, master = pty.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    except OSError as error:
        sys.stderr.write("exec %s: %s\n" % (argv[0], error.strerror))
        os._exit(127)
def resize(cols, rows):
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
resize(80, 24)
for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(sig, lambda number, frame: os.kill(pid, number))
inputs = [0, master, 3]
pending = b""
while True:
    try:
        ready, _, _ = select.select(inputs, [], [])
    except InterruptedError:
        continue
    if master in ready:
        try:
            data = os.read(master, 65536)
        except OSError:
            data = b""
        if not data:
            break
        os.write(1, data)
    # resizes first: a resize sent before input applies before the program reads it
    if 3 in ready:
        data = os.read(3, 4096)
        if not data:
            inputs.remove(3)
        pending += data
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            try:
                cols, rows = (int(part) for part in line.split())
                resize(cols, rows)
            except ValueError:
                pass
    if 0 in ready:
        data = os.read(0, 65536)
        if data:
            os.write(master, data)
        else:
            inputs.remove(0)
            os.write(master, b"\x04")
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
`

/** The command line that runs `argv` under the pty runner. */
export function ptyCommand(argv: string[]): [string, string[]] {
  return ['python3', ['-c', PTY_RUNNER, ...argv]]
}

/** Resizes the terminal of a process started with ptyCommand (its fd 3 is the control pipe). */
export function resizeTerminal(child: ChildProcess, width: number, height: number): void {
  const control = child.stdio[3] as Writable | null | undefined
  if (!control || control.destroyed || !(width > 0) || !(height > 0)) return
  control.write(`${Math.floor(width)} ${Math.floor(height)}\n`)
}
