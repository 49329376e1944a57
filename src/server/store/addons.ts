import type {Database} from 'better-sqlite3'
import {toTimestamp, type Clock} from './clock.js'
import {isUuid, newId} from './ids.js'

/** 'deprovisioning' is tug's own: the wire says deprovisioned from the moment it is asked for. */
export type AddonState = 'provisioning' | 'provisioned' | 'deprovisioning'

export interface AddonRecord {
  id: string
  name: string
  app_id: string
  /** tug's service name (`postgresql`, `redis`). */
  service: string
  /** The plan's name within the service (`mini`). */
  plan: string
  state: AddonState
  provider_id: string
  /** The provider's own data about the resource (decoded JSON); null until provisioned. */
  resource: Record<string, unknown> | null
  created_at: string
  updated_at: string
}

export interface AddonAttachmentRecord {
  id: string
  addon_id: string
  app_id: string
  /** The config var's prefix: `DATABASE` for DATABASE_URL. */
  name: string
  created_at: string
  updated_at: string
}

interface AddonRow extends Omit<AddonRecord, 'resource'> {
  resource: string | null
}

function decode(row: AddonRow): AddonRecord {
  return {...row, resource: row.resource === null ? null : (JSON.parse(row.resource) as Record<string, unknown>)}
}

export class AddonsRepository {
  constructor(private readonly db: Database, private readonly clock: Clock) {}

  create(input: {id?: string; name: string; app_id: string; service: string; plan: string; provider_id: string}): AddonRecord {
    const now = toTimestamp(this.clock())
    const id = input.id ?? newId()
    this.db
      .prepare(
        `INSERT INTO addons (id, name, app_id, service, plan, state, provider_id, resource, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'provisioning', ?, NULL, ?, ?)`,
      )
      .run(id, input.name, input.app_id, input.service, input.plan, input.provider_id, now, now)
    return this.get(id) as AddonRecord
  }

  get(id: string): AddonRecord | undefined {
    const row = this.db.prepare<[string], AddonRow>('SELECT * FROM addons WHERE id = ?').get(id)
    return row && decode(row)
  }

  /** By id or by name (add-on names are unique across apps, as on Heroku). */
  resolve(identity: string): AddonRecord | undefined {
    if (isUuid(identity)) return this.get(identity.toLowerCase())
    const row = this.db.prepare<[string], AddonRow>('SELECT * FROM addons WHERE name = ?').get(identity)
    return row && decode(row)
  }

  findByName(name: string): AddonRecord | undefined {
    const row = this.db.prepare<[string], AddonRow>('SELECT * FROM addons WHERE name = ?').get(name)
    return row && decode(row)
  }

  listByApp(appId: string): AddonRecord[] {
    return this.db.prepare<[string], AddonRow>('SELECT * FROM addons WHERE app_id = ? ORDER BY created_at, rowid').all(appId).map(decode)
  }

  /** Every add-on of the apps `appIds` (an account's), in creation order. */
  listByApps(appIds: readonly string[]): AddonRecord[] {
    if (appIds.length === 0) return []
    const marks = appIds.map(() => '?').join(', ')
    return this.db.prepare<string[], AddonRow>(`SELECT * FROM addons WHERE app_id IN (${marks}) ORDER BY created_at, rowid`).all(...appIds).map(decode)
  }

  all(): AddonRecord[] {
    return this.db.prepare<[], AddonRow>('SELECT * FROM addons ORDER BY created_at, rowid').all().map(decode)
  }

  setState(id: string, state: AddonState, resource?: Record<string, unknown>): void {
    const now = toTimestamp(this.clock())
    if (resource === undefined) this.db.prepare('UPDATE addons SET state = ?, updated_at = ? WHERE id = ?').run(state, now, id)
    else this.db.prepare('UPDATE addons SET state = ?, resource = ?, updated_at = ? WHERE id = ?').run(state, JSON.stringify(resource), now, id)
  }

  rename(id: string, name: string): void {
    this.db.prepare('UPDATE addons SET name = ?, updated_at = ? WHERE id = ?').run(name, toTimestamp(this.clock()), id)
  }

  /** Deletes the record; its attachments go with it. */
  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM addons WHERE id = ?').run(id).changes > 0
  }

  // Attachments.

  attach(input: {addon_id: string; app_id: string; name: string}): AddonAttachmentRecord {
    const now = toTimestamp(this.clock())
    const record: AddonAttachmentRecord = {id: newId(), ...input, created_at: now, updated_at: now}
    this.db
      .prepare('INSERT INTO addon_attachments (id, addon_id, app_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(record.id, record.addon_id, record.app_id, record.name, now, now)
    return record
  }

  attachment(id: string): AddonAttachmentRecord | undefined {
    return this.db.prepare<[string], AddonAttachmentRecord>('SELECT * FROM addon_attachments WHERE id = ?').get(id)
  }

  attachmentByName(appId: string, name: string): AddonAttachmentRecord | undefined {
    return this.db.prepare<[string, string], AddonAttachmentRecord>('SELECT * FROM addon_attachments WHERE app_id = ? AND name = ?').get(appId, name)
  }

  attachmentsOfApp(appId: string): AddonAttachmentRecord[] {
    return this.db.prepare<[string], AddonAttachmentRecord>('SELECT * FROM addon_attachments WHERE app_id = ? ORDER BY created_at, rowid').all(appId)
  }

  attachmentsOfApps(appIds: readonly string[]): AddonAttachmentRecord[] {
    if (appIds.length === 0) return []
    const marks = appIds.map(() => '?').join(', ')
    return this.db.prepare<string[], AddonAttachmentRecord>(`SELECT * FROM addon_attachments WHERE app_id IN (${marks}) ORDER BY created_at, rowid`).all(...appIds)
  }

  attachmentsOfAddon(addonId: string): AddonAttachmentRecord[] {
    return this.db.prepare<[string], AddonAttachmentRecord>('SELECT * FROM addon_attachments WHERE addon_id = ? ORDER BY created_at, rowid').all(addonId)
  }

  detach(id: string): boolean {
    return this.db.prepare('DELETE FROM addon_attachments WHERE id = ?').run(id).changes > 0
  }
}
