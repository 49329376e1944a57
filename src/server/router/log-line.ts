// The router's line per request, in Heroku's format:
//   at=info method=GET path="/" host=shop.localhost request_id=... fwd="127.0.0.1" dyno=web.2 connect=0ms service=3ms status=200 bytes=512 protocol=http
//   at=error code=H14 desc="No web processes running" method=GET path="/" host=... dyno= connect= service= status=503 bytes= protocol=http

export interface RouterLogFields {
  method: string
  path: string
  host: string
  requestId: string
  fwd: string
  dyno?: string
  connectMs?: number
  serviceMs?: number
  status: number
  bytes?: number
  protocol: string
  error?: {code: string; desc: string}
}

// One line per request: a loop finds the values that need work (cheaper than a regular
// expression's test on these short strings); the expressions do the replacing.

/** A backslash, a quote, CR or LF: what a quoted value escapes. */
function needsEscape(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c === 92 || c === 34 || c === 13 || c === 10) return true
  }
  return false
}

/** A quote or whitespace (`\s`: past Latin-1's, the expression decides). */
function needsUnderscore(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c === 34 || c === 32 || (c >= 9 && c <= 13) || c === 0xa0) return true
    if (c > 0xff && /\s/.test(value[i] as string)) return true
  }
  return false
}

function quoted(value: string): string {
  if (!needsEscape(value)) return `"${value}"`
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\r\n]/g, ' ')}"`
}

/** A bare value must stay one token: spaces and quotes would break `key=value` parsing. */
function bare(value: string): string {
  return needsUnderscore(value) ? value.replace(/[\s"]/g, '_') : value
}

function ms(value: number | undefined): string {
  return value === undefined ? '' : `${Math.max(0, Math.round(value))}ms`
}

export function formatRouterLine(fields: RouterLogFields): string {
  const start = fields.error ? `at=error code=${fields.error.code} desc=${quoted(fields.error.desc)}` : 'at=info'
  return `${start} method=${bare(fields.method)} path=${quoted(fields.path)} host=${bare(fields.host)} request_id=${bare(fields.requestId)} fwd=${quoted(fields.fwd)} dyno=${fields.dyno ?? ''} connect=${ms(fields.connectMs)} service=${ms(fields.serviceMs)} status=${fields.status} bytes=${fields.bytes === undefined ? '' : String(fields.bytes)} protocol=${fields.protocol}`
}
