// Plain-text layouts shared by commands: `=== header` lines and aligned `Key: value` blocks
// (tables are in table.ts).

export function header(text: string): string {
  return `=== ${text}`
}

/** `Key:   value` lines with the values aligned, in the order given. */
export function styledObject(entries: Array<[string, string]>): string[] {
  const width = Math.max(0, ...entries.map(([key]) => key.length + 1))
  return entries.map(([key, value]) => `${`${key}:`.padEnd(width)} ${value}`.trimEnd())
}

export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001B\[[0-9;]*m/g, '')
}
