// Minimal ANSI styling; callers decide whether colour is on (see `colorEnabled`).

const codes = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  gray: [90, 39],
} as const

export type Style = keyof typeof codes

export function paint(text: string, style: Style, enabled: boolean): string {
  if (!enabled) return text
  const [open, close] = codes[style]
  return `\u001B[${open}m${text}\u001B[${close}m`
}
