// `tug ps` output: one-off dynos first, then the formation's dynos grouped by process type.
import type {Dyno, Formation} from '../../shared/api-types.js'
import {timeAgo} from '../cli/ago.js'
import {paint} from '../cli/color.js'

const ONE_OFF_TYPES = new Set(['run', 'scheduler', 'release'])

export function isOneOff(dyno: Pick<Dyno, 'type'>): boolean {
  return ONE_OFF_TYPES.has(dyno.type)
}

function dynoNumber(name: string): number {
  const n = Number(name.slice(name.lastIndexOf('.') + 1))
  return Number.isFinite(n) ? n : Number.MAX_SAFE_INTEGER
}

function byName(a: Dyno, b: Dyno): number {
  return a.type.localeCompare(b.type) || dynoNumber(a.name) - dynoNumber(b.name) || a.name.localeCompare(b.name)
}

function state(dyno: Dyno, color: boolean): string {
  // Why a Kubernetes pod cannot run (`ImagePullBackOff: ...`), sent by a tug control plane.
  const reason = (dyno as Dyno & {state_reason?: unknown}).state_reason
  if (dyno.state === 'crashed' && typeof reason === 'string' && reason !== '') return `${paint(dyno.state, 'red', color)} (${reason})`
  if (dyno.state === 'crashed') return paint(dyno.state, 'red', color)
  if (dyno.state === 'up') return paint(dyno.state, 'green', color)
  if (dyno.state === 'starting' || dyno.state === 'idle') return paint(dyno.state, 'yellow', color)
  return dyno.state
}

export interface PsFormatOptions {
  now: number
  color: boolean
  /** `ps --extended`: the extra fields a tug control plane sends (memory, restarts, exit status). */
  extended?: boolean
}

/** Fields beyond the Platform API that a tug control plane adds to a dyno. */
interface DynoExtras {
  memory_bytes?: number | null
  restart_count?: number
  exit_status?: number | null
}

function extras(dyno: Dyno, options: PsFormatOptions): string {
  if (!options.extended) return ''
  const extra = dyno as Dyno & DynoExtras
  const parts: string[] = []
  if (typeof extra.memory_bytes === 'number') parts.push(`mem=${(extra.memory_bytes / 1024 ** 2).toFixed(1)}MB`)
  if (typeof extra.restart_count === 'number' && !isOneOff(dyno)) parts.push(`restarts=${extra.restart_count}`)
  if (typeof extra.exit_status === 'number') parts.push(`exit=${extra.exit_status}`)
  return parts.length === 0 ? '' : `  ${parts.join(' ')}`
}

export function formatPs(dynos: Dyno[], options: PsFormatOptions): string[] {
  const lines: string[] = []
  const oneOffs = dynos.filter((d) => isOneOff(d)).sort(byName)
  if (oneOffs.length > 0) {
    lines.push(`=== run: one-off processes (${oneOffs.length})`)
    for (const d of oneOffs) {
      lines.push(`${d.name} (${d.size || '1X'}): ${state(d, options.color)} ${timeAgo(d.updated_at, options.now)}: ${d.command}${extras(d, options)}`)
    }
  }

  const groups = new Map<string, Dyno[]>()
  for (const d of dynos.filter((x) => !isOneOff(x)).sort(byName)) {
    const group = groups.get(d.type) ?? []
    group.push(d)
    groups.set(d.type, group)
  }
  for (const [type, group] of groups) {
    const first = group[0]
    if (!first) continue
    if (lines.length > 0) lines.push('')
    lines.push(`=== ${type} (${first.size || '1X'}): ${first.command} (${group.length})`)
    for (const d of group) lines.push(`${d.name}: ${state(d, options.color)} ${timeAgo(d.updated_at, options.now)}${extras(d, options)}`)
  }
  return lines
}

/** `web=2:Standard-1X worker=4:Standard-1X`, by type. */
export function formatFormation(formation: Formation[]): string {
  return [...formation]
    .sort((a, b) => a.type.localeCompare(b.type))
    .map((f) => `${f.type}=${f.quantity}:${f.size}`)
    .join(' ')
}

/** `web at 2:Standard-1X, worker at 4:Standard-1X`, in the order the types were asked for. */
export function formatScaled(formation: Formation[], types: string[]): string {
  const picked = types.map((t) => formation.find((f) => f.type === t)).filter((f): f is Formation => f !== undefined)
  return picked.map((f) => `${f.type} at ${f.quantity}:${f.size}`).join(', ')
}
