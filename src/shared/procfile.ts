// The Procfile parser, shared by the build (which fails with the error) and the CLI. Stricter
// than Heroku's, which skips lines it cannot read: every such line is an error with its number.

export interface ProcessType {
  name: string
  command: string
  /** 1-based line of the Procfile the type is defined on. */
  line: number
}

export class ProcfileError extends Error {
  /** 1-based line the error is on; 0 when it is about the whole file. */
  readonly line: number

  constructor(line: number, reason: string) {
    super(line > 0 ? `Procfile line ${line}: ${reason}` : `Procfile: ${reason}`)
    this.name = 'ProcfileError'
    this.line = line
  }
}

/** Heroku's process type rule: letters, digits, `_` and `-`, at most 128. */
export const PROCESS_TYPE_NAME = /^[-\w]{1,128}$/

export const MAX_PROCFILE_BYTES = 1024 * 1024

const SHOWN_LINE_MAX = 80

export function parseProcfile(text: string): ProcessType[] {
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes > MAX_PROCFILE_BYTES) {
    throw new ProcfileError(0, `the file is too large (${bytes} bytes; a Procfile may be at most 1 MiB)`)
  }
  // Editors on Windows write a byte order mark; it is not part of the first name.
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text
  const types: ProcessType[] = []
  const byName = new Map<string, ProcessType>()
  const lines = body.split('\n')
  for (const [index, raw] of lines.entries()) {
    const line = index + 1
    const content = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (content.includes('\0')) throw new ProcfileError(line, 'contains a NUL byte; a Procfile is a text file')
    const trimmed = content.trim()
    if (trimmed === '' || trimmed.startsWith('#')) continue

    const colon = trimmed.indexOf(':')
    const name = colon < 0 ? '' : trimmed.slice(0, colon).trim()
    if (name === '') throw new ProcfileError(line, `expected "name: command", got ${show(trimmed)}`)
    if (!PROCESS_TYPE_NAME.test(name)) {
      throw new ProcfileError(
        line,
        `invalid process type name ${show(name)}: use letters, digits, "_" and "-", at most 128 characters`,
      )
    }
    const command = trimmed.slice(colon + 1).trim()
    if (command === '') throw new ProcfileError(line, `process type "${name}" has an empty command`)
    const first = byName.get(name)
    if (first) throw new ProcfileError(line, `process type "${name}" is already defined on line ${first.line}`)

    const type = {name, command, line}
    byName.set(name, type)
    types.push(type)
  }
  if (types.length === 0) throw new ProcfileError(0, 'no process types are defined (expected lines like "web: node server.js")')
  return types
}

function show(text: string): string {
  const shown = text.length > SHOWN_LINE_MAX ? `${text.slice(0, SHOWN_LINE_MAX)}…` : text
  return JSON.stringify(shown)
}
