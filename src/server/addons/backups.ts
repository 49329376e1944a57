// Backups of PostgreSQL add-ons (pg:backups): each a `pg_dump -Fc` in
// <dataDir>/addons/backups/<addon id>/b001.dump beside its record b001.json; restores into an
// add-on are r001.json there. Numbers come from a counter per add-on, so a deleted b003 is never
// reused. Captures and restores run in the background (a big database takes longer than an HTTP
// request should); the client polls the record. One transfer at a time per add-on.
//
// A crash during a transfer leaves a record `running`: the next start marks it failed (and drops
// the partial dump). The backups of an add-on go with it when it is destroyed, and at start those
// of an add-on that is gone.
import {createHash, randomBytes, randomUUID} from 'node:crypto'
import {existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {PgBackup, PgBackupUrl, PgRestore} from '../../shared/pg-types.js'
import {DomainError, notFound} from '../domain/errors.js'
import type {AddonRecord} from '../store/index.js'
import type {AddonDataTools} from './provider.js'

type Transfer = PgBackup | PgRestore

const DOWNLOAD_TTL_MS = 10 * 60_000
const RECORD = /^([br])(\d+)\.json$/

const nameOf = (kind: 'b' | 'r', num: number): string => `${kind}${String(num).padStart(3, '0')}`
const hashOf = (token: string): string => createHash('sha256').update(token).digest('hex')

/** `b001`, `B1`, `1` -> 1; undefined for anything else. */
export function transferNumber(kind: 'b' | 'r', name: string): number | undefined {
  const match = new RegExp(`^${kind}?(\\d{1,9})$`, 'i').exec(name.trim())
  return match ? Number(match[1]) : undefined
}

export class BackupService {
  /** The transfer running on an add-on (capture of it, or restore into it), by add-on id. */
  private readonly busy = new Map<string, {name: string; abort: AbortController; done: Promise<void>}>()
  /** Dumps a restore is reading, as `<addon id>/<b001>`: they may not be deleted meanwhile. */
  private readonly reading = new Set<string>()
  private readonly downloads = new Map<string, {file: string; expires: number}>()

  constructor(private readonly options: {dir: string; warn: (message: string) => void}) {}

  private dirOf(addonId: string): string {
    return join(this.options.dir, addonId)
  }

  /** Marks what a crash left running as failed, and drops the backups of add-ons that are gone. */
  start(addonIds: ReadonlySet<string>): void {
    if (!existsSync(this.options.dir)) return
    for (const entry of readdirSync(this.options.dir)) {
      const dir = join(this.options.dir, entry)
      if (!addonIds.has(entry)) {
        rmSync(dir, {recursive: true, force: true})
        continue
      }
      for (const transfer of this.records(entry)) {
        if (transfer.status !== 'running') continue
        if (transfer.name.startsWith('b')) rmSync(join(dir, `${transfer.name}.dump`), {force: true})
        this.write(entry, {...transfer, status: 'failed', finished_at: new Date().toISOString(), error: 'The control plane stopped while it ran.'})
        this.options.warn(`${transfer.name} of the add-on ${entry} was running when the control plane stopped: it is marked failed.`)
      }
    }
  }

  private records(addonId: string): Transfer[] {
    const dir = this.dirOf(addonId)
    if (!existsSync(dir)) return []
    return readdirSync(dir)
      .filter((file) => RECORD.test(file))
      .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as Transfer)
      .sort((a, b) => a.num - b.num)
  }

  private write(addonId: string, transfer: Transfer): void {
    const file = join(this.dirOf(addonId), `${transfer.name}.json`)
    writeFileSync(`${file}.tmp`, JSON.stringify(transfer, null, 2), {mode: 0o600})
    renameSync(`${file}.tmp`, file)
  }

  /** The next number of `kind` for the add-on: one more than any it ever had. */
  private next(addonId: string, kind: 'b' | 'r'): number {
    const dir = this.dirOf(addonId)
    mkdirSync(dir, {recursive: true, mode: 0o700})
    const file = join(dir, 'counter.json')
    const counter = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>) : {}
    const num = (counter[kind] ?? 0) + 1
    writeFileSync(file, JSON.stringify({...counter, [kind]: num}), {mode: 0o600})
    return num
  }

  backups(addon: AddonRecord): PgBackup[] {
    return this.records(addon.id).filter((t): t is PgBackup => t.name.startsWith('b'))
  }

  restores(addon: AddonRecord): PgRestore[] {
    return this.records(addon.id).filter((t): t is PgRestore => t.name.startsWith('r'))
  }

  backup(addon: AddonRecord, name: string): PgBackup {
    const num = transferNumber('b', name)
    const found = num === undefined ? undefined : this.backups(addon).find((b) => b.num === num)
    if (!found) throw notFound('backup', `Couldn't find the backup ${name} of ${addon.name}. Its backups are listed by tug pg:backups.`)
    return found
  }

  restore(addon: AddonRecord, name: string): PgRestore {
    const num = transferNumber('r', name)
    const found = num === undefined ? undefined : this.restores(addon).find((r) => r.num === num)
    if (!found) throw notFound('restore', `Couldn't find the restore ${name} into ${addon.name}.`)
    return found
  }

  private checkIdle(addon: AddonRecord): void {
    const running = this.busy.get(addon.id)
    if (running) throw new DomainError('conflict', `${running.name} is running on ${addon.name}; wait until it finishes (tug pg:backups shows it).`)
  }

  /** Runs `work` in the background as `transfer` on `addon`, then records how it ended. */
  private run<T extends Transfer>(addon: AddonRecord, transfer: T, work: (signal: AbortSignal) => Promise<Partial<T>>, after?: () => void): T {
    this.write(addon.id, transfer)
    const abort = new AbortController()
    const done = (async () => {
      let ended: T
      try {
        ended = {...transfer, ...(await work(abort.signal)), status: 'succeeded', finished_at: new Date().toISOString()}
      } catch (error) {
        ended = {...transfer, status: 'failed', finished_at: new Date().toISOString(), error: (error as Error).message}
        if (transfer.name.startsWith('b')) rmSync(join(this.dirOf(addon.id), `${transfer.name}.dump`), {force: true})
      }
      after?.()
      this.busy.delete(addon.id)
      // An add-on destroyed meanwhile has no directory left to write in.
      if (existsSync(this.dirOf(addon.id))) this.write(addon.id, ended)
    })()
    this.busy.set(addon.id, {name: transfer.name, abort, done})
    return transfer
  }

  capture(addon: AddonRecord, tools: AddonDataTools): PgBackup {
    this.checkIdle(addon)
    const resource = addon.resource
    if (!resource) throw new DomainError('invalid_params', `${addon.name} is not provisioned.`)
    const num = this.next(addon.id, 'b')
    const name = nameOf('b', num)
    const file = join(this.dirOf(addon.id), `${name}.dump`)
    const started = {id: randomUUID(), num, name, addon: {id: addon.id, name: addon.name}, status: 'running' as const, started_at: new Date().toISOString(), finished_at: null, size_bytes: null, error: null}
    return this.run<PgBackup>(addon, started, async (signal) => {
      await tools.capture(resource, file, signal)
      return {size_bytes: statSync(file).size}
    })
  }

  /** Restores `backup` of `from` into `into` (the same add-on or another one). */
  restoreInto(from: AddonRecord, backupName: string, into: AddonRecord, tools: AddonDataTools): PgRestore {
    const backup = this.backup(from, backupName)
    if (backup.status !== 'succeeded') throw new DomainError('invalid_params', `The backup ${backup.name} of ${from.name} ${backup.status === 'running' ? 'is still running' : 'failed'}; restore another one.`)
    this.checkIdle(into)
    const resource = into.resource
    if (!resource) throw new DomainError('invalid_params', `${into.name} is not provisioned.`)
    const file = join(this.dirOf(from.id), `${backup.name}.dump`)
    const key = `${from.id}/${backup.name}`
    this.reading.add(key)
    const num = this.next(into.id, 'r')
    const started: PgRestore = {
      id: randomUUID(), num, name: nameOf('r', num), addon: {id: into.id, name: into.name}, backup: {name: backup.name, addon: {id: from.id, name: from.name}},
      status: 'running', started_at: new Date().toISOString(), finished_at: null, error: null,
    }
    return this.run<PgRestore>(into, started, async (signal) => {
      await tools.restore(resource, file, signal)
      return {}
    }, () => this.reading.delete(key))
  }

  delete(addon: AddonRecord, name: string): PgBackup {
    const backup = this.backup(addon, name)
    if (backup.status === 'running' || this.reading.has(`${addon.id}/${backup.name}`)) {
      throw new DomainError('conflict', `The backup ${backup.name} of ${addon.name} is in use (${backup.status === 'running' ? 'being captured' : 'being restored'}); delete it once that finishes.`)
    }
    const dir = this.dirOf(addon.id)
    rmSync(join(dir, `${backup.name}.dump`), {force: true})
    rmSync(join(dir, `${backup.name}.json`), {force: true})
    return backup
  }

  /** A capability URL (`base` + /addon-backups/TOKEN) that reads the dump for DOWNLOAD_TTL_MS. */
  downloadUrl(addon: AddonRecord, name: string, base: string): PgBackupUrl {
    const backup = this.backup(addon, name)
    if (backup.status !== 'succeeded') throw new DomainError('invalid_params', `The backup ${backup.name} of ${addon.name} ${backup.status === 'running' ? 'is still running' : 'failed'}; it has no dump to download.`)
    const now = Date.now()
    for (const [hash, entry] of this.downloads) if (entry.expires <= now) this.downloads.delete(hash)
    const token = randomBytes(32).toString('base64url')
    const expires = now + DOWNLOAD_TTL_MS
    this.downloads.set(hashOf(token), {file: join(this.dirOf(addon.id), `${backup.name}.dump`), expires})
    return {url: `${base.replace(/\/+$/, '')}/addon-backups/${token}`, expires_at: new Date(expires).toISOString()}
  }

  /** The dump a download token names, while it is valid and the backup still exists. */
  downloadFile(token: string): string | undefined {
    const entry = this.downloads.get(hashOf(token))
    if (!entry || entry.expires <= Date.now() || !existsSync(entry.file)) return undefined
    return entry.file
  }

  /** Stops the add-on's transfer, if one runs, and deletes every backup and restore record it has. */
  async removeAll(addonId: string): Promise<void> {
    const running = this.busy.get(addonId)
    running?.abort.abort('the add-on is being destroyed')
    await running?.done
    rmSync(this.dirOf(addonId), {recursive: true, force: true})
  }

  /** Stops what runs: its records are marked failed as they end. */
  async close(): Promise<void> {
    const running = [...this.busy.values()]
    for (const each of running) each.abort.abort('the control plane is stopping')
    await Promise.all(running.map((each) => each.done))
  }
}
