// ~/.netrc, the file Heroku's tools keep their tokens in and so does `tug login`. The file is
// shared with git, curl and heroku, so an update edits only its own machine's tokens in place and
// leaves every other byte (other machines, comments, macros, layout) as it was.

import {closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmSync, writeSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'

export interface NetrcEntry {
  /** The host (with `:port` when not the default); empty for the `default` entry. */
  machine: string
  login?: string
  password?: string
  account?: string
  /** The `default` entry, which matches any machine not listed. */
  default?: boolean
}

interface Token {
  text: string
  start: number
  end: number
}

type Field = 'login' | 'password' | 'account'

interface RawEntry {
  entry: NetrcEntry
  /** The `machine` or `default` keyword. */
  head: Token
  /** The machine name (undefined for `default`). */
  name?: Token
  /** Where the entry's last token (or macro body) ends. */
  end: number
  fields: Map<Field, {key: Token; value: Token}>
}

const FIELDS: ReadonlySet<string> = new Set(['login', 'password', 'account'])

/**
 * Splits into tokens with their offsets. Comments are skipped; a macro body (from the line after
 * `macdef NAME` to the first empty line) is folded into the end of the NAME token.
 */
function lex(text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  let macroNameNext = false
  while (i < text.length) {
    const char = text[i] ?? ''
    if (/\s/.test(char)) {
      i++
      continue
    }
    if (char === '#') {
      // A comment runs to the end of the line, as in Heroku's and curl's parsers.
      const newline = text.indexOf('\n', i)
      i = newline < 0 ? text.length : newline
      continue
    }
    const start = i
    let value = ''
    if (char === '"') {
      i++
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++
        value += text[i]
        i++
      }
      i = Math.min(i + 1, text.length)
    } else {
      while (i < text.length && !/\s/.test(text[i] ?? '')) {
        value += text[i]
        i++
      }
    }
    const token = {text: value, start, end: i}
    tokens.push(token)
    if (macroNameNext) {
      macroNameNext = false
      const newline = text.indexOf('\n', i)
      const blank = /\n[^\S\n]*(?:\n|$)/g
      blank.lastIndex = newline < 0 ? text.length : newline
      const found = newline < 0 ? null : blank.exec(text)
      i = found ? found.index + 1 : text.length
      token.end = i
    } else if (value === 'macdef' && char !== '"') {
      macroNameNext = true
    }
  }
  return tokens
}

function parseRaw(text: string): RawEntry[] {
  const tokens = lex(text)
  const entries: RawEntry[] = []
  let current: RawEntry | undefined
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token
    if (token.text === 'machine' || token.text === 'default') {
      const isDefault = token.text === 'default'
      const name = isDefault ? undefined : tokens[i + 1]
      if (!isDefault) i++
      current = {
        entry: isDefault ? {machine: '', default: true} : {machine: name?.text ?? ''},
        head: token,
        name,
        end: (name ?? token).end,
        fields: new Map(),
      }
      entries.push(current)
      continue
    }
    if (!current) continue // tokens before any machine belong to nobody
    if (token.text === 'macdef') {
      const macroName = tokens[i + 1]
      if (macroName) i++
      current.end = (macroName ?? token).end
      continue
    }
    if (FIELDS.has(token.text)) {
      const value = tokens[i + 1]
      if (!value) break
      i++
      const field = token.text as Field
      if (!current.fields.has(field)) {
        current.fields.set(field, {key: token, value})
        current.entry[field] = value.text
      }
      current.end = value.end
      continue
    }
    // An unknown keyword (some tools add `port` and the like): skip it and keep the entry going.
    current.end = token.end
  }
  return entries
}

/** Every `machine` and `default` entry in the file, in order; lenient about what it cannot read. */
export function parseNetrc(text: string): NetrcEntry[] {
  return parseRaw(text).map((raw) => raw.entry)
}

/** The first entry for `machine`; never the `default` entry, whose password is for other hosts. */
export function readNetrcEntry(file: string, machine: string): NetrcEntry | undefined {
  const text = readIfExists(file)
  if (text === undefined) return undefined
  return parseNetrc(text).find((entry) => !entry.default && entry.machine === machine)
}

/**
 * Sets the fields the entry gives (login, password, account) on its machine, leaving the others
 * as they are, or adds the machine (before any `default` entry) when it is new. The file is
 * replaced atomically and left with mode 0600.
 */
export function writeNetrcEntry(file: string, entry: NetrcEntry): void {
  if (entry.machine === '' || entry.default) throw new Error('writeNetrcEntry: a machine name is required')
  for (const value of [entry.machine, entry.login, entry.password, entry.account]) {
    if (value !== undefined && (value === '' || /[\n\r\0]/.test(value))) {
      throw new Error('writeNetrcEntry: values must be non-empty and on one line')
    }
  }
  const target = resolveTarget(file)
  const text = readIfExists(target) ?? ''
  const raw = parseRaw(text).find((candidate) => !candidate.entry.default && candidate.entry.machine === entry.machine)
  const updated = raw ? updateEntry(text, raw, entry) : addEntry(text, entry)
  writeAtomic(target, updated)
}

/** Removes every entry for `machine`; false when there was none (the file is then left alone). */
export function removeNetrcEntry(file: string, machine: string): boolean {
  const target = resolveTarget(file)
  const text = readIfExists(target)
  if (text === undefined) return false
  const matches = parseRaw(text).filter((raw) => !raw.entry.default && raw.entry.machine === machine)
  if (matches.length === 0) return false
  let updated = text
  for (const raw of matches.reverse()) {
    const [start, end] = removalSpan(updated, raw)
    updated = updated.slice(0, start) + updated.slice(end)
  }
  writeAtomic(target, updated)
  return true
}

function updateEntry(text: string, raw: RawEntry, entry: NetrcEntry): string {
  const edits: Array<{start: number; end: number; text: string}> = []
  const multiline = text.slice(raw.head.start, raw.end).includes('\n')
  const indent = multiline ? fieldIndent(text, raw) : ''
  let insertAt = raw.name?.end ?? raw.head.end
  let insertion = ''
  for (const field of ['login', 'password', 'account'] as const) {
    const existing = raw.fields.get(field)
    const value = entry[field]
    if (existing) insertAt = Math.max(insertAt, existing.value.end)
    if (value === undefined) continue
    if (existing) edits.push({start: existing.value.start, end: existing.value.end, text: quote(value)})
    else insertion += `${multiline ? `\n${indent}` : ' '}${field} ${quote(value)}`
  }
  if (insertion !== '') edits.push({start: insertAt, end: insertAt, text: insertion})
  // From the end of the file backwards, so earlier offsets stay valid.
  let updated = text
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    updated = updated.slice(0, edit.start) + edit.text + updated.slice(edit.end)
  }
  return updated
}

function addEntry(text: string, entry: NetrcEntry): string {
  const lines = [`machine ${quote(entry.machine)}`]
  for (const field of ['login', 'password', 'account'] as const) {
    const value = entry[field]
    if (value !== undefined) lines.push(`  ${field} ${quote(value)}`)
  }
  const block = `${lines.join('\n')}\n`
  // `default` must come after every machine, or other tools stop reading at it.
  const fallback = parseRaw(text).find((raw) => raw.entry.default)
  if (fallback) {
    const at = lineStart(text, fallback.head.start)
    return text.slice(0, at) + block + text.slice(at)
  }
  if (text === '') return block
  const appended = text + (text.endsWith('\n') ? '' : '\n') + block
  // A macro body left open at the end of the file would swallow the new machine: close it.
  const found = parseNetrc(appended).some((candidate) => !candidate.default && candidate.machine === entry.machine)
  return found ? appended : `${text}${text.endsWith('\n') ? '' : '\n'}\n${block}`
}

/** The indentation used by the entry's first field on its own line, or two spaces. */
function fieldIndent(text: string, raw: RawEntry): string {
  for (const {key} of raw.fields.values()) {
    const start = lineStart(text, key.start)
    const prefix = text.slice(start, key.start)
    if (/^[^\S\n]*$/.test(prefix) && start > raw.head.start) return prefix
  }
  return '  '
}

/** The entry's text, with its lines when it has them to itself (a trailing comment goes with it). */
function removalSpan(text: string, raw: RawEntry): [number, number] {
  let start = raw.head.start
  let end = raw.end
  const startOfLine = lineStart(text, start)
  const newline = text.indexOf('\n', end)
  const endOfLine = newline < 0 ? text.length : newline
  const ownsLineStart = /^[^\S\n]*$/.test(text.slice(startOfLine, start))
  const ownsLineEnd = /^[^\S\n]*(?:#.*)?$/.test(text.slice(end, endOfLine))
  if (ownsLineStart && ownsLineEnd) {
    start = startOfLine
    end = newline < 0 ? text.length : newline + 1
  } else if (ownsLineEnd) {
    // `machine a … machine b …` on one line, removing b: keep a and the line break.
    while (start > startOfLine && /[^\S\n]/.test(text[start - 1] ?? '')) start--
    end = endOfLine
  } else {
    // Another entry follows on the same line: take the whitespace up to it.
    while (end < endOfLine && /[^\S\n]/.test(text[end] ?? '')) end++
  }
  return [start, end]
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1
}

/** Tokens are whitespace-separated; a value that would not read back as one token is quoted. */
function quote(value: string): string {
  if (/^[^\s"#\\]+$/.test(value)) return value
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/** People keep dotfiles as symlinks into a repository; update the file the link points at. */
function resolveTarget(file: string): string {
  try {
    return realpathSync(file)
  } catch {
    return file
  }
}

function writeAtomic(file: string, text: string): void {
  const dir = dirname(file)
  mkdirSync(dir, {recursive: true})
  // node:crypto is loaded here, on a write, rather than by every command that reads the file.
  const {randomBytes} = process.getBuiltinModule('node:crypto') as typeof import('node:crypto')
  const temp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  // The credentials never exist on disk with a wider mode, not even in the temporary file.
  const fd = openSync(temp, 'wx', 0o600)
  try {
    fchmodSync(fd, 0o600) // exactly 0600, whatever the umask
    writeSync(fd, text)
    fsyncSync(fd)
  } catch (error) {
    closeSync(fd)
    rmSync(temp, {force: true})
    throw error
  }
  closeSync(fd)
  try {
    renameSync(temp, file)
  } catch (error) {
    rmSync(temp, {force: true})
    throw error
  }
}
