// `tug run [flags] COMMAND...`: everything from the first word that is not one of tug's own flags
// (or from `--`) is the remote command, verbatim and in order, so `tug run -a shop ls -la` works
// without `--` and the command's own flags never reach tug's parser.

export interface SplitArgv {
  /** tug's own flags, for oclif to parse. */
  flags: string[]
  /** The remote command's words. */
  command: string[]
}

/** `valueFlags`: the flag spellings that take a value (`-a`, `--app`, ...). */
export function splitRunArgv(argv: string[], valueFlags: ReadonlySet<string>): SplitArgv {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? ''
    if (token === '--') return {flags: argv.slice(0, i), command: argv.slice(i + 1)}
    if (!token.startsWith('-') || token === '-') return {flags: argv.slice(0, i), command: argv.slice(i)}
    if (valueFlags.has(token)) i++
  }
  return {flags: [...argv], command: []}
}

/** The spellings of the flags that take a value, from an oclif flag table. */
export function valueFlagSpellings(flags: Record<string, {type: string; char?: string}>): Set<string> {
  const spellings = new Set<string>()
  for (const [name, flag] of Object.entries(flags)) {
    if (flag.type !== 'option') continue
    spellings.add(`--${name}`)
    if (flag.char) spellings.add(`-${flag.char}`)
  }
  return spellings
}
