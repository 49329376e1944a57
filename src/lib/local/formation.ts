// Which processes `tug local` runs and on which ports, as Foreman decides: no argument runs one of
// each Procfile type; `web=2 worker` runs those; each process is named like a dyno (`web.2`) and
// gets PORT = base + 100 × the type's place in the Procfile + its number − 1 (web.1 5000, web.2
// 5001, worker.1 5100 when worker is the second type).
import type {ProcessType} from '../../shared/procfile.js'
import {processTypeSuggestion} from '../../shared/suggest.js'
import {UsageError} from '../errors.js'

export interface LocalProcess {
  /** `web.1`: becomes DYNO and PS. */
  name: string
  type: string
  command: string
  port: number
}

/** Far above what one machine runs; catches typos like `web=1000`. */
export const MAX_LOCAL_PROCESSES = 100

const FORM = /^([-\w]+)(?:=(\d+))?$/

/** `TYPE` or `TYPE=N`, spaces or commas between them (Foreman's `-m web=1,worker=2` form too). */
export function parseFormation(args: readonly string[], types: readonly ProcessType[]): Map<string, number> {
  const known = types.map((type) => type.name)
  const counts = new Map<string, number>()
  const words = args.flatMap((arg) => arg.split(',')).filter((word) => word !== '')
  if (words.length === 0) {
    for (const name of known) counts.set(name, 1)
    return counts
  }
  for (const word of words) {
    const match = FORM.exec(word)
    if (!match) throw new UsageError(`Cannot read ${JSON.stringify(word)}: give process types as TYPE or TYPE=N (for example web=2 worker).`)
    const [, type = '', digits] = match
    if (!known.includes(type)) throw new UsageError(`The Procfile has no process type ${type}.${processTypeSuggestion(type, known)}`)
    if (counts.has(type)) throw new UsageError(`Process type ${type} is given twice. Give each type once.`)
    counts.set(type, digits === undefined ? 1 : Number(digits))
  }
  return counts
}

/** The processes to start, in Procfile order, with their ports. */
export function planProcesses(types: readonly ProcessType[], counts: ReadonlyMap<string, number>, basePort: number): LocalProcess[] {
  const processes: LocalProcess[] = []
  for (const [index, type] of types.entries()) {
    const count = counts.get(type.name) ?? 0
    for (let n = 1; n <= count; n++) {
      processes.push({name: `${type.name}.${n}`, type: type.name, command: type.command, port: basePort + index * 100 + n - 1})
    }
  }
  if (processes.length === 0) throw new UsageError('Nothing to run: every process type is at 0.', {hint: 'Give at least one type a count above 0, as in `tug local web=1`.'})
  if (processes.length > MAX_LOCAL_PROCESSES) throw new UsageError(`${processes.length} processes is too many to run here (at most ${MAX_LOCAL_PROCESSES}).`)
  const highest = Math.max(...processes.map((process) => process.port))
  if (highest > 65_535) {
    throw new UsageError(`Port ${highest} is out of range: with base port ${basePort}, ${processes.find((p) => p.port === highest)?.name} would get a port above 65535.`, {
      hint: 'Pass a lower --port.',
    })
  }
  return processes
}
