// The CLI's one table layout (`tug releases`, `server:tokens`): columns separated by two spaces,
// each as wide as its widest cell, no borders, no trailing blanks. cli-table3 measures cells by
// what a terminal shows (colour codes take no room, wide characters two).
import Table from 'cli-table3'

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

/** One line per row; the first row is a heading only if the caller makes it one. */
export function table(rows: string[][]): string[] {
  if (rows.length === 0) return []
  const layout = new Table({chars: NO_BORDERS, style: {'padding-left': 0, 'padding-right': 0, head: [], border: []}})
  layout.push(...rows)
  // cli-table3 pads the last column too.
  return layout.toString().split('\n').map((line) => line.trimEnd())
}
