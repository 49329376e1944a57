// The CLI's one table layout (`tug releases`, `server:tokens`): columns separated by two spaces,
// each as wide as its widest cell, no borders, no trailing blanks. cli-table3 measures cells by
// what a terminal shows (colour codes take no room, wide characters two); for the usual table of
// printable ASCII a cell's width is its length, and the layout is done here without loading
// cli-table3 and its dependencies (~23M instructions, a sixth of a short `tug releases`, issue 19).
import {createRequire} from 'node:module'

import type Table from 'cli-table3'

const NO_BORDERS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
}

const PRINTABLE_ASCII = /^[\x20-\x7E]*$/

/** One line per row; the first row is a heading only if the caller makes it one. */
export function table(rows: string[][]): string[] {
  if (rows.length === 0) return []
  const columns = rows[0]!.length
  if (columns > 0 && rows.every((row) => row.length === columns && row.every((cell) => PRINTABLE_ASCII.test(cell)))) return asciiTable(rows, columns)
  return terminalTable(rows)
}

function asciiTable(rows: string[][], columns: number): string[] {
  // cli-table3 gives a column of empty cells a width of one.
  const widths = Array.from({length: columns}, (_, column) => Math.max(1, ...rows.map((row) => row[column]!.length)))
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd())
}

/** cli-table3, loaded the first time a table has colour codes, wide or control characters. */
export function terminalTable(rows: string[][]): string[] {
  const TableClass = createRequire(import.meta.url)('cli-table3') as typeof Table
  const layout = new TableClass({chars: NO_BORDERS, style: {'padding-left': 0, 'padding-right': 0, head: [], border: []}})
  layout.push(...rows)
  // cli-table3 pads the last column too.
  return layout.toString().split('\n').map((line) => line.trimEnd())
}
