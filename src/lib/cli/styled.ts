// Plain-text layouts shared by commands: `=== header` lines and aligned `Key: value` blocks.

export function header(text: string): string {
  return `=== ${text}`
}

/** `Key:   value` lines with the values aligned, in the order given. */
export function styledObject(entries: Array<[string, string]>): string[] {
  const width = Math.max(0, ...entries.map(([key]) => key.length + 1))
  return entries.map(([key, value]) => `${`${key}:`.padEnd(width)} ${value}`.trimEnd())
}

/** Columns separated by two spaces, each padded to its widest cell; no trailing spaces. */
export function columns(rows: string[][], widthOf: (cell: string) => number = (cell) => cell.length): string[] {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, widthOf(cell))))
  return rows.map((row) =>
    row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - widthOf(cell)))).join('  ').trimEnd(),
  )
}

export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001B\[[0-9;]*m/g, '')
}
