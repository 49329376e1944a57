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

// One line per request: tested for the characters that need work before replacing anything.
const NEEDS_ESCAPE = /[\\"\r\n]/
const NEEDS_UNDERSCORE = /[\s"]/

function quoted(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return `"${value}"`
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\r\n]/g, ' ')}"`
}

/** A bare value must stay one token: spaces and quotes would break `key=value` parsing. */
function bare(value: string): string {
  return NEEDS_UNDERSCORE.test(value) ? value.replace(/[\s"]/g, '_') : value
}

function ms(value: number | undefined): string {
  return value === undefined ? '' : `${Math.max(0, Math.round(value))}ms`
}

export function formatRouterLine(fields: RouterLogFields): string {
  const start = fields.error ? `at=error code=${fields.error.code} desc=${quoted(fields.error.desc)}` : 'at=info'
  return `${start} method=${bare(fields.method)} path=${quoted(fields.path)} host=${bare(fields.host)} request_id=${bare(fields.requestId)} fwd=${quoted(fields.fwd)} dyno=${fields.dyno ?? ''} connect=${ms(fields.connectMs)} service=${ms(fields.serviceMs)} status=${fields.status} bytes=${fields.bytes === undefined ? '' : String(fields.bytes)} protocol=${fields.protocol}`
}
