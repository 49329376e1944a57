// Which lines a log session wants, matched the way Heroku's logplex matches them.
import {podDynoType} from '../../shared/dyno-names.js'

export interface LogFilter {
  /** A dyno name or a process type: `web` matches `web` and `web.N` (not `webhook.1`). */
  dyno?: string
  /** Exactly this dyno name. */
  dynoName?: string
  /** This process type (`web` for `web.1`). */
  type?: string
  /** `app` or `tug`; `heroku` also matches `tug`, for clients written for Heroku. */
  source?: string
}

export type LineMatcher = (source: string, dyno: string) => boolean

/** The process type of a dyno name: what comes before the first dot (`run` for `run.1234`), or a pod's (`web` for `web-848cd4f64d-pvpr2`). */
export function processType(dynoName: string): string {
  const pod = podDynoType(dynoName)
  if (pod !== undefined) return pod
  const dot = dynoName.indexOf('.')
  return dot === -1 ? dynoName : dynoName.slice(0, dot)
}

/** Logplex's `ps` filter: the name itself, any name that continues it after a dot, or a pod of that type. */
export function dynoMatches(pattern: string, dynoName: string): boolean {
  if (dynoName === pattern) return true
  if (dynoName.length > pattern.length && dynoName.startsWith(pattern) && dynoName.charCodeAt(pattern.length) === 46) return true
  return dynoName.length > pattern.length && dynoName.charCodeAt(pattern.length) === 45 && podDynoType(dynoName) === pattern
}

const matchAll: LineMatcher = () => true

/** A predicate for one filter (all of its fields must match); empty strings mean "no filter". */
export function compileFilter(filter: LogFilter = {}): LineMatcher {
  const checks: LineMatcher[] = []
  const {dyno, dynoName, type, source} = filter
  if (dyno) checks.push((_s, d) => dynoMatches(dyno, d))
  if (dynoName) checks.push((_s, d) => d === dynoName)
  if (type) checks.push((_s, d) => processType(d) === type)
  if (source) {
    const wanted = source === 'heroku' ? 'tug' : source
    checks.push((s) => s === wanted)
  }
  if (checks.length === 0) return matchAll
  if (checks.length === 1) return checks[0] ?? matchAll
  return (s, d) => checks.every((check) => check(s, d))
}

/** The filter fields of a log session: the request body (section 2.5) or the stored record. */
export interface SessionFilterFields {
  dyno?: string | null
  dyno_name?: string | null
  type?: string | null
  source?: string | null
}

/** The filter a `POST /apps/{app}/log-sessions` body (or its stored record) asks for. */
export function filterFromSession(body: SessionFilterFields): LogFilter {
  const filter: LogFilter = {}
  if (typeof body.dyno === 'string' && body.dyno !== '') filter.dyno = body.dyno
  if (typeof body.dyno_name === 'string' && body.dyno_name !== '') filter.dynoName = body.dyno_name
  if (typeof body.type === 'string' && body.type !== '') filter.type = body.type
  if (typeof body.source === 'string' && body.source !== '') filter.source = body.source
  return filter
}
