// A terminal stdin for commands that prompt (inquirer 7), typing each answer once a prompt
// listens: inquirer adds three keypress listeners per prompt, the last once the prompt is drawn,
// and an answer typed before that is lost.
import {PassThrough} from 'node:stream'

export type TerminalStdin = PassThrough & {isTTY: boolean; setRawMode: () => unknown}

export function terminalStdin(answers: string[]): TerminalStdin {
  const stdin: TerminalStdin = Object.assign(new PassThrough(), {isTTY: true, setRawMode: () => stdin})
  const pending = [...answers]
  let added = 0
  stdin.on('newListener', (event) => {
    if (event !== 'keypress' || ++added % 3 !== 0 || pending.length === 0) return
    const answer = pending.shift() as string
    setImmediate(() => stdin.write(`${answer}\r`))
  })
  return stdin
}
