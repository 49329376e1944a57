// The `.env` file as Foreman and Heroku's tools read it: `KEY=value` lines, an optional `export `
// prefix, `#` comments, values in single quotes (literal) or double quotes (with `\n`, `\t`, `\"`
// and `\\` escapes), both of which may span lines. Stricter than Foreman, which skips a line it
// cannot read: here such a line is an error that names it, so that a typo never starts an app
// without the variable it meant to set. Values are taken as written: no `$VAR` expansion.

export class EnvFileError extends Error {
  /** 1-based line the error is on. */
  readonly line: number

  constructor(line: number, reason: string) {
    super(`line ${line}: ${reason}`)
    this.name = 'EnvFileError'
    this.line = line
  }
}

/** A POSIX shell's variable name: what a process can read back from its environment. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const ASSIGNMENT = /^\s*(?:export\s+)?([^=\s]*)\s*=\s*(.*)$/s
const SHOWN_MAX = 60

const ESCAPES: Record<string, string> = {n: '\n', r: '\r', t: '\t'}

export function parseEnvFile(text: string): Record<string, string> {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text
  const lines = body.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
  const vars: Record<string, string> = {}
  const nul = lines.findIndex((line) => line.includes('\0'))
  if (nul !== -1) throw new EnvFileError(nul + 1, 'contains a NUL byte; a .env file is a text file')
  for (let index = 0; index < lines.length; index++) {
    const number = index + 1
    const raw = lines[index] as string
    const trimmed = raw.trim()
    if (trimmed === '' || trimmed.startsWith('#')) continue
    const match = ASSIGNMENT.exec(raw)
    if (!match || match[1] === '') {
      const hint = /^export\s+\S+$/.test(trimmed) ? ' (an `export NAME` line needs a value here)' : ''
      throw new EnvFileError(number, `expected KEY=value, got ${show(trimmed)}${hint}`)
    }
    const name = match[1] as string
    if (!NAME.test(name)) {
      throw new EnvFileError(number, `invalid variable name ${show(name)}: use letters, digits and "_", not starting with a digit`)
    }
    const rest = match[2] as string
    const quote = rest[0]
    if (quote === "'" || quote === '"') {
      const value = readQuoted(lines, index, rest, quote)
      vars[name] = value.value
      index = value.lastIndex
    } else {
      vars[name] = unquoted(rest)
    }
  }
  return vars
}

/** A value without quotes ends at the line's end or at a `#` after whitespace (a comment). */
function unquoted(rest: string): string {
  const comment = rest.search(/\s#/)
  return (comment === -1 ? rest : rest.slice(0, comment)).trim()
}

/**
 * A quoted value from just after `=` on line `start`, up to its closing quote, which may be on a
 * later line: the newlines between are part of the value. After the closing quote only spaces and
 * a comment may follow.
 */
function readQuoted(lines: readonly string[], start: number, rest: string, quote: "'" | '"'): {value: string; lastIndex: number} {
  let value = ''
  let index = start
  let text = rest.slice(1)
  for (;;) {
    let at = 0
    while (at < text.length) {
      const char = text[at] as string
      if (char === quote) {
        const after = text.slice(at + 1).trim()
        if (after !== '' && !after.startsWith('#')) {
          throw new EnvFileError(index + 1, `unexpected ${show(after)} after the closing ${quote} (quote the whole value, or put a # before a comment)`)
        }
        return {value, lastIndex: index}
      }
      if (char === '\\' && quote === '"' && at + 1 < text.length) {
        const next = text[at + 1] as string
        value += ESCAPES[next] ?? next
        at += 2
        continue
      }
      value += char
      at++
    }
    index++
    if (index >= lines.length) {
      throw new EnvFileError(start + 1, `the ${quote} that opens this value is never closed (a value may span lines, but it needs its closing ${quote})`)
    }
    value += '\n'
    text = lines[index] as string
  }
}

function show(text: string): string {
  return JSON.stringify(text.length > SHOWN_MAX ? `${text.slice(0, SHOWN_MAX)}…` : text)
}
