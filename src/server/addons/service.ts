// Add-ons as the API sees them: records, attachments and the config vars they set, the same for
// every provider. The lifecycle loses nothing across a crash:
//   create:  record 'provisioning' -> provider makes the resource -> one transaction: 'provisioned',
//            the attachment and the release that sets <NAME>_URL
//   destroy: one transaction: 'deprovisioning', attachments gone and the releases that unset their
//            vars -> provider drops the resource -> record deleted
// A start finds a record left 'provisioning' and rolls it back (the provider drops what exists, the
// record goes), and one left 'deprovisioning' and finishes it. So no resource outlives its record,
// and no record names a resource that is gone, except for the moment these steps take.
import {randomInt} from 'node:crypto'
import {DomainError, invalidParams, notFound} from '../domain/errors.js'
import {currentConfig, planConfigChange} from '../domain/config-change.js'
import {CONFIG_KEY_PATTERN, randomAppName} from '../domain/names.js'
import {createRelease} from '../domain/releases.js'
import type {LogRouter} from '../logs/index.js'
import {announceRelease} from '../logs/platform-events.js'
import {newId, type AccountRecord, AddonAttachmentRecord, AddonRecord, AppRecord, ReleaseRecord, Store} from '../store/index.js'
import {findPlan, findService, resolvePlan, type PlanSpec, type ServiceSpec} from './catalog.js'
import type {BackupService} from './backups.js'
import type {AddonProvider} from './provider.js'

export interface AddonServiceOptions {
  store: Store
  logs: LogRouter
  /** Told after every release an attachment makes, so the app's dynos restart onto it. */
  releaseChanged: (appId: string) => Promise<void>
  /** By service name (catalog.ts). A service without one answers 503 on create. */
  providers: Partial<Record<string, AddonProvider>>
  warn: (message: string) => void
  /** pg:backups' dumps, removed with their add-on. */
  backups?: BackupService
}

export const ADDON_NAME_PATTERN = /^[a-zA-Z][A-Za-z0-9_-]{1,255}$/
export const ATTACHMENT_NAME_PATTERN = /^[A-Z][A-Z0-9_]{0,63}$/

/** `tug_` and the id's hex: a PostgreSQL identifier, a directory name, unique and stable. */
export const providerIdOf = (addonId: string): string => `tug_${addonId.replace(/-/g, '').toLowerCase()}`

export const configVarOf = (attachmentName: string): string => `${attachmentName}_URL`

/** `postgresql-curved-12345`, as Heroku names its add-ons. */
export function randomAddonName(service: string): string {
  const [adjective] = randomAppName().split('-')
  return `${service}-${adjective}-${String(randomInt(100_000)).padStart(5, '0')}`
}

export function normalizeAttachmentName(value: string): string {
  const name = value.trim().toUpperCase()
  if (!ATTACHMENT_NAME_PATTERN.test(name) || !CONFIG_KEY_PATTERN.test(name)) {
    throw invalidParams(`Invalid attachment name ${JSON.stringify(value)}: it must start with a letter and have only letters, digits and underscores (it names the config var, ${configVarOf('NAME')}).`)
  }
  return name
}

interface Released {
  appId: string
  release: ReleaseRecord
}

export class AddonService {
  private closed = false

  constructor(private readonly options: AddonServiceOptions) {}

  private get store(): Store {
    return this.options.store
  }

  serviceOf(addon: AddonRecord): ServiceSpec | undefined {
    return findService(addon.service)
  }

  get backups(): BackupService | undefined {
    return this.options.backups
  }

  /** The provider of `addon`'s service, when it serves here. */
  providerOf(addon: AddonRecord): AddonProvider | undefined {
    return this.options.providers[addon.service]
  }

  planOf(addon: AddonRecord): PlanSpec | undefined {
    const service = findService(addon.service)
    return service && findPlan(service, addon.plan)
  }

  private provider(service: string): AddonProvider {
    const provider = this.options.providers[service]
    const reason = provider ? provider.unavailable?.() : 'no provider is configured'
    if (!provider || reason !== undefined) throw new DomainError('unavailable', `The ${service} add-on service is not available on this control plane: ${reason}.`)
    return provider
  }

  /** Finishes what a crash left midway, then starts what provisioned add-ons run. */
  async start(): Promise<void> {
    const resumable = new Map<string, Array<{addonId: string; providerId: string; plan: PlanSpec; resource: Record<string, unknown>}>>()
    for (const addon of this.store.addons.all()) {
      const provider = this.options.providers[addon.service]
      if (!provider) {
        this.options.warn(`The add-on ${addon.name} is of ${addon.service}, which no provider serves here; it stays as it is.`)
        continue
      }
      if (addon.state === 'provisioned') {
        const plan = this.planOf(addon)
        if (plan && addon.resource) resumable.set(addon.service, [...(resumable.get(addon.service) ?? []), {addonId: addon.id, providerId: addon.provider_id, plan, resource: addon.resource}])
        continue
      }
      try {
        await provider.deprovision({addonId: addon.id, providerId: addon.provider_id, resource: addon.resource})
        this.store.addons.delete(addon.id)
        this.options.warn(
          addon.state === 'provisioning'
            ? `The add-on ${addon.name} was still being created when the control plane stopped: it was rolled back (create it again).`
            : `The add-on ${addon.name} was being destroyed when the control plane stopped: it is gone now.`,
        )
      } catch (error) {
        this.options.warn(`The add-on ${addon.name} (${addon.state}) could not be cleaned up: ${(error as Error).message}. The next start tries again.`)
      }
    }
    this.options.backups?.start(new Set(this.store.addons.all().map((a) => a.id)))
    for (const [service, resources] of resumable) {
      try {
        await this.options.providers[service]?.resume?.(resources)
      } catch (error) {
        // The API still starts: these add-ons answer again once their server does.
        this.options.warn(`The ${service} add-ons could not be started: ${(error as Error).message}`)
      }
    }
  }

  /** Creates an add-on of `planIdentity` for `app` and attaches it there (as `as`). */
  async create(input: {app: AppRecord; account: AccountRecord; plan: string; as?: string; name?: string}): Promise<AddonRecord> {
    if (this.closed) throw new DomainError('unavailable', 'The control plane is shutting down.')
    const {service, plan} = resolvePlan(input.plan)
    const provider = this.provider(service.name)
    const asked = input.as === undefined ? undefined : normalizeAttachmentName(input.as)
    if (input.name !== undefined && !ADDON_NAME_PATTERN.test(input.name)) {
      throw invalidParams(`Invalid add-on name ${JSON.stringify(input.name)}: it must start with a letter and have only letters, digits, dashes and underscores.`)
    }
    const record = this.store.transaction(() => {
      const attachmentName = asked ?? this.defaultAttachmentName(input.app, service)
      this.checkAttachmentFree(input.app, attachmentName)
      let name = input.name
      if (name !== undefined) {
        if (this.store.addons.findByName(name)) throw invalidParams(`The add-on name ${name} is already taken.`)
      } else {
        do name = randomAddonName(service.name)
        while (this.store.addons.findByName(name))
      }
      const id = newId()
      // The provider's names come from the id, so a roll-back after a crash finds what was made.
      const addon = this.store.addons.create({id, name, app_id: input.app.id, service: service.name, plan: plan.name, provider_id: providerIdOf(id)})
      return {addon, attachmentName}
    })
    const providerId = record.addon.provider_id
    let resource: Record<string, unknown> & {url: string}
    try {
      resource = await provider.provision({addonId: record.addon.id, providerId, plan})
    } catch (error) {
      await provider.deprovision({addonId: record.addon.id, providerId, resource: null}).catch(() => {})
      this.store.addons.delete(record.addon.id)
      throw new DomainError('unavailable', `Could not create the ${service.name} add-on: ${(error as Error).message}`)
    }
    const released = this.store.transaction(() => {
      const app = this.store.apps.get(input.app.id)
      if (!app) return undefined
      this.store.addons.setState(record.addon.id, 'provisioned', resource)
      this.checkAttachmentFree(app, record.attachmentName)
      this.store.addons.attach({addon_id: record.addon.id, app_id: app.id, name: record.attachmentName})
      return this.setVar(app, input.account, configVarOf(record.attachmentName), resource.url, `Attach ${record.attachmentName} (@ref:${record.addon.name})`) ?? null
    })
    if (released === undefined) {
      // The app went while the resource was being made: nothing may be left of it.
      await this.destroy(this.store.addons.get(record.addon.id) as AddonRecord, input.account)
      throw notFound('app', "Couldn't find that app.")
    }
    await this.announce(released ?? undefined, input.account)
    return this.store.addons.get(record.addon.id) as AddonRecord
  }

  /** The attachment name an add-on of `service` gets by default: DATABASE, or one of its own when taken. */
  private defaultAttachmentName(app: AppRecord, service: ServiceSpec): string {
    const config = currentConfig(this.store, app)
    const free = (name: string) => !this.store.addons.attachmentByName(app.id, name) && config[configVarOf(name)] === undefined
    if (free(service.attachmentName)) return service.attachmentName
    for (;;) {
      const [adjective = 'other'] = randomAppName().split('-')
      const name = `${service.name.toUpperCase()}_${adjective.toUpperCase()}`
      if (free(name)) return name
    }
  }

  private checkAttachmentFree(app: AppRecord, name: string): void {
    if (this.store.addons.attachmentByName(app.id, name)) {
      throw invalidParams(`${app.name} already has an add-on attached as ${name}; give another name (--as NAME).`)
    }
    if (currentConfig(this.store, app)[configVarOf(name)] !== undefined) {
      throw invalidParams(`${app.name} already has the config var ${configVarOf(name)}; unset it first (tug config:unset ${configVarOf(name)}) or give another name (--as NAME).`)
    }
  }

  /** A release of `app` that sets (value) or removes (null) `key`, as config:set would. Inside a transaction. */
  private setVar(app: AppRecord, account: AccountRecord, key: string, value: string | null, description: string): Released | undefined {
    const change = planConfigChange(currentConfig(this.store, app), {[key]: value})
    if (change.description === undefined) return undefined
    const release = createRelease(this.store, {appId: app.id, description, config: change.vars, user: account})
    return {appId: app.id, release}
  }

  private async announce(released: Released | undefined, account: AccountRecord): Promise<void> {
    if (!released) return
    announceRelease(this.options.logs, released.appId, released.release, account.email)
    await this.options.releaseChanged(released.appId)
  }

  /** Attaches `addon` to `app` as `as` (default: the service's name, DATABASE or REDIS). */
  async attach(input: {addon: AddonRecord; app: AppRecord; account: AccountRecord; as?: string}): Promise<AddonAttachmentRecord> {
    const {addon} = input
    if (addon.state !== 'provisioned' || !addon.resource) throw invalidParams(`The add-on ${addon.name} is not provisioned; it cannot be attached.`)
    const service = findService(addon.service)
    const name = input.as === undefined ? (service?.attachmentName ?? addon.service.toUpperCase()) : normalizeAttachmentName(input.as)
    const {attachment, released} = this.store.transaction(() => {
      this.checkAttachmentFree(input.app, name)
      const attachment = this.store.addons.attach({addon_id: addon.id, app_id: input.app.id, name})
      const url = String((addon.resource as {url: unknown}).url)
      return {attachment, released: this.setVar(input.app, input.account, configVarOf(name), url, `Attach ${name} (@ref:${addon.name})`)}
    })
    await this.announce(released, input.account)
    return attachment
  }

  async detach(attachment: AddonAttachmentRecord, account: AccountRecord): Promise<void> {
    const released = this.store.transaction(() => this.detachInTransaction(attachment, account))
    await this.announce(released, account)
  }

  private detachInTransaction(attachment: AddonAttachmentRecord, account: AccountRecord): Released | undefined {
    const addon = this.store.addons.get(attachment.addon_id)
    const app = this.store.apps.get(attachment.app_id)
    this.store.addons.detach(attachment.id)
    if (!app) return undefined
    return this.setVar(app, account, configVarOf(attachment.name), null, `Detach ${attachment.name} (@ref:${addon?.name ?? attachment.addon_id})`)
  }

  /**
   * Detaches it everywhere (each app's var goes in a release), drops its resource, deletes its
   * record. `appGoing`: an app being deleted, whose var goes without a release (its dynos are stopped).
   */
  async destroy(addon: AddonRecord, account: AccountRecord, appGoing?: string): Promise<AddonRecord> {
    const provider = this.options.providers[addon.service]
    if (!provider) throw new DomainError('unavailable', `The ${addon.service} add-on service is not available on this control plane.`)
    const released = this.store.transaction(() => {
      this.store.addons.setState(addon.id, 'deprovisioning')
      return this.store.addons.attachmentsOfAddon(addon.id).map((a) => {
        if (a.app_id !== appGoing) return this.detachInTransaction(a, account)
        this.store.addons.detach(a.id)
        return undefined
      })
    })
    for (const each of released) await this.announce(each, account)
    await this.options.backups?.removeAll(addon.id)
    await provider.deprovision({addonId: addon.id, providerId: addon.provider_id, resource: addon.resource})
    this.store.addons.delete(addon.id)
    return {...addon, state: 'deprovisioning'}
  }

  /**
   * Before an app is deleted (its dynos stopped): its add-ons are destroyed, detached from other
   * apps too, and its attachments of other apps' add-ons go.
   */
  async destroyAppAddons(app: AppRecord, account: AccountRecord): Promise<void> {
    for (const addon of this.store.addons.listByApp(app.id)) await this.destroy(addon, account, app.id)
    this.store.transaction(() => {
      for (const attachment of this.store.addons.attachmentsOfApp(app.id)) this.store.addons.detach(attachment.id)
    })
  }

  rename(addon: AddonRecord, name: string): AddonRecord {
    if (!ADDON_NAME_PATTERN.test(name)) throw invalidParams(`Invalid add-on name ${JSON.stringify(name)}: it must start with a letter and have only letters, digits, dashes and underscores.`)
    return this.store.transaction(() => {
      const other = this.store.addons.findByName(name)
      if (other && other.id !== addon.id) throw invalidParams(`The add-on name ${name} is already taken.`)
      this.store.addons.rename(addon.id, name)
      return this.store.addons.get(addon.id) as AddonRecord
    })
  }

  async close(): Promise<void> {
    this.closed = true
    await this.options.backups?.close()
    const providers = new Set(Object.values(this.options.providers).filter((p): p is AddonProvider => p !== undefined))
    for (const provider of providers) {
      try {
        await provider.close()
      } catch (error) {
        this.options.warn(`An add-on provider did not stop cleanly: ${(error as Error).message}`)
      }
    }
  }
}
