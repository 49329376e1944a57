import type {Database} from 'better-sqlite3'
import {toTimestamp, type Clock} from './clock.js'

export interface RuntimeSettings {
  /** SIGTERM to SIGKILL, in ms; null = the control plane's default (30 s). */
  stop_grace_ms: number | null
  /** Restart two or more web dynos one at a time; null = the default (on). */
  rolling_restart: boolean | null
}

const DEFAULTS: RuntimeSettings = {stop_grace_ms: null, rolling_restart: null}

/** What a rolling_restart of null means. */
export const ROLLING_RESTART_DEFAULT = true

/** Per-app settings of the dyno manager that are not config vars (the dynos never see them). */
export class RuntimeSettingsRepository {
  constructor(private readonly db: Database, private readonly clock: Clock) {}

  get(appId: string): RuntimeSettings {
    const row = this.db
      .prepare<[string], {stop_grace_ms: number | null; rolling_restart: number | null}>(
        'SELECT stop_grace_ms, rolling_restart FROM runtime_settings WHERE app_id = ?',
      )
      .get(appId)
    if (!row) return {...DEFAULTS}
    return {stop_grace_ms: row.stop_grace_ms, rolling_restart: row.rolling_restart === null ? null : row.rolling_restart !== 0}
  }

  /** Changes the settings given (null returns one to its default) and keeps the others. */
  set(appId: string, changes: Partial<RuntimeSettings>): RuntimeSettings {
    // IMMEDIATE: another connection's change of the other setting cannot slip between read and write.
    return this.db
      .transaction(() => {
        const next = this.get(appId)
        if (changes.stop_grace_ms !== undefined) next.stop_grace_ms = changes.stop_grace_ms
        if (changes.rolling_restart !== undefined) next.rolling_restart = changes.rolling_restart
        this.db
          .prepare(
            `INSERT INTO runtime_settings (app_id, stop_grace_ms, rolling_restart, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (app_id) DO UPDATE SET stop_grace_ms = excluded.stop_grace_ms,
               rolling_restart = excluded.rolling_restart, updated_at = excluded.updated_at`,
          )
          .run(appId, next.stop_grace_ms, next.rolling_restart === null ? null : Number(next.rolling_restart), toTimestamp(this.clock()))
        return next
      })
      .immediate()
  }
}
