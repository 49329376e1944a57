// `tug ps:settings`: the app's dyno manager settings (runtime settings, not config vars).
import type {RuntimeSettings, RuntimeSettingsUpdateBody} from '../../shared/api-types.js'
import {header, styledObject} from '../cli/styled.js'
import {UsageError} from '../errors.js'

export const ROLLING_RESTART_VALUES = ['on', 'off', 'default'] as const
export type RollingRestartValue = (typeof ROLLING_RESTART_VALUES)[number]

/** The control plane's limit. */
export const MAX_STOP_GRACE_SECONDS = 300
/** The documented default, for a control plane that does not say its own. */
const DEFAULT_STOP_GRACE_SECONDS = 30

/** `--stop-grace`: whole seconds from 1 to 300, or `default` (null). */
export function parseStopGrace(value: string): number | null {
  const text = value.trim().toLowerCase()
  if (text === 'default') return null
  const seconds = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!(seconds >= 1 && seconds <= MAX_STOP_GRACE_SECONDS)) {
    throw new UsageError(`--stop-grace must be a whole number of seconds from 1 to ${MAX_STOP_GRACE_SECONDS}, or default; got ${JSON.stringify(value)}.`)
  }
  return seconds
}

/** The PATCH body for the flags given; undefined when no flag asks for a change. */
export function settingsUpdate(flags: {rollingRestart?: RollingRestartValue; stopGrace?: string}): RuntimeSettingsUpdateBody | undefined {
  const body: RuntimeSettingsUpdateBody = {}
  if (flags.rollingRestart !== undefined) body.rolling_restart = flags.rollingRestart === 'default' ? null : flags.rollingRestart === 'on'
  if (flags.stopGrace !== undefined) body.stop_grace_seconds = parseStopGrace(flags.stopGrace)
  return Object.keys(body).length === 0 ? undefined : body
}

export function formatSettings(app: string, settings: RuntimeSettings): string[] {
  const grace = settings.stop_grace_seconds
  return [
    header(`${app} Dyno Settings`),
    ...styledObject([
      ['Rolling restart', settings.rolling_restart ? 'on' : 'off'],
      ['Stop grace', grace === null ? `${settings.default_stop_grace_seconds ?? DEFAULT_STOP_GRACE_SECONDS}s (default)` : `${grace}s`],
    ]),
  ]
}

