// The YAML buildpacks print from bin/release (Heroku's buildpack API): `default_process_types`,
// and the `config_vars` and `addons` tug ignores. Only the small subset buildpacks write, read
// without a YAML dependency; anything else is refused with the line that is not understood.

export interface ReleaseInfo {
  defaultProcessTypes: Record<string, string>
  configVars: string[]
  addons: string[]
}

/**
 * The YAML buildpacks print from bin/release: a mapping of `addons` (a list), `config_vars` and
 * `default_process_types` (mappings of plain or quoted scalars), in block or flow style. That
 * subset only, as the buildpacks write it; anything else throws, saying which line.
 */
export function parseReleaseYaml(text: string): ReleaseInfo {
  const info: ReleaseInfo = {defaultProcessTypes: {}, configVars: [], addons: []}
  const lines = text.split(/\r?\n/)
  let section: string | undefined
  let sectionIndent = 0
  for (const [index, raw] of lines.entries()) {
    const where = `line ${index + 1}`
    const content = stripComment(raw)
    if (content.trim() === '' || content.trim() === '...') continue
    // A document marker, alone or before a flow mapping on its line (`--- {}`).
    if (/^---(\s|$)/.test(content)) {
      const rest = content.slice(3).trim()
      if (rest === '' || rest === '{}') continue
      throw new Error(`${where}: expected a mapping after ---`)
    }
    const indent = content.length - content.trimStart().length
    const line = content.trim()
    if (section !== undefined && indent > sectionIndent) {
      if (line.startsWith('- ')) {
        if (section === 'addons') info.addons.push(scalar(line.slice(2), where))
        continue
      }
      const [key, value] = keyValue(line, where)
      if (value === '') throw new Error(`${where}: ${key} has no value`)
      addEntry(info, section, key, scalar(value, where))
      continue
    }
    const [key, value] = keyValue(line, where)
    if (indent !== 0) throw new Error(`${where}: unexpected indentation`)
    section = key
    sectionIndent = indent
    if (value === '') continue
    if (value.startsWith('{')) {
      for (const [k, v] of flowMapping(value, where)) addEntry(info, key, k, v)
    } else if (value.startsWith('[')) {
      if (key === 'addons') info.addons.push(...flowList(value, where))
    } else if (value !== 'null' && value !== '~') {
      throw new Error(`${where}: ${key} should be a mapping or a list`)
    }
  }
  return info
}

function addEntry(info: ReleaseInfo, section: string, key: string, value: string): void {
  if (section === 'default_process_types') info.defaultProcessTypes[key] = value
  else if (section === 'config_vars') info.configVars.push(key)
}

/** The positions in `text` that are outside quoted strings (a backslash escapes inside double quotes). */
function unquoted(text: string): number[] {
  const positions: number[] = []
  let quote: string | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i++
      else if (c === quote) quote = undefined
    } else if (c === '"' || c === "'") {
      quote = c
    } else {
      positions.push(i)
    }
  }
  return positions
}

/** A line without its comment: a `#` that starts the line or follows a blank, outside quotes. */
function stripComment(line: string): string {
  const at = unquoted(line).find((i) => line[i] === '#' && (i === 0 || /\s/.test(line[i - 1] as string)))
  return at === undefined ? line : line.slice(0, at)
}

function keyValue(line: string, where: string): [string, string] {
  const match = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^:'"][^:]*?)\s*:(?:\s+(.*))?$/.exec(line)
  if (!match) throw new Error(`${where}: expected "key: value", got ${JSON.stringify(line)}`)
  return [scalar(match[1] as string, where), (match[2] ?? '').trim()]
}

function scalar(text: string, where: string): string {
  const value = text.trim()
  if (value.startsWith('"')) {
    try {
      return JSON.parse(value) as string
    } catch {
      throw new Error(`${where}: bad double-quoted string ${value}`)
    }
  }
  if (value.startsWith("'")) {
    if (!value.endsWith("'") || value.length < 2) throw new Error(`${where}: bad single-quoted string ${value}`)
    return value.slice(1, -1).replace(/''/g, "'")
  }
  if (value.startsWith('|') || value.startsWith('>')) throw new Error(`${where}: block scalars are not supported; write the command on one line`)
  return value
}

/** The items of a flow collection's inside, split at top-level commas. */
function flowItems(inside: string): string[] {
  const items: string[] = []
  let start = 0
  for (const i of unquoted(inside)) {
    if (inside[i] !== ',') continue
    items.push(inside.slice(start, i))
    start = i + 1
  }
  items.push(inside.slice(start))
  return items.map((item) => item.trim()).filter((item) => item !== '')
}

function flowMapping(value: string, where: string): Array<[string, string]> {
  if (!value.endsWith('}')) throw new Error(`${where}: a flow mapping must end on its line`)
  return flowItems(value.slice(1, -1)).map((item) => {
    const [key, entry] = keyValue(item, where)
    return [key, scalar(entry, where)]
  })
}

function flowList(value: string, where: string): string[] {
  if (!value.endsWith(']')) throw new Error(`${where}: a flow list must end on its line`)
  return flowItems(value.slice(1, -1)).map((item) => scalar(item, where))
}
