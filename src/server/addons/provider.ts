// The one seam between the add-on API and what makes a resource. A provider owns its own real
// server or processes; the API, the records and the attachments (config vars through releases)
// are the same for every provider. A third provider implements this and is listed in
// AddonServiceOptions.providers under its service's name (catalog.ts).
import type {PlanSpec} from './catalog.js'

export interface ProvisionRequest {
  /** The add-on's id: the provider's names are made from it, so a retry finds the same resource. */
  addonId: string
  /** The resource's name at the provider (AddonRecord.provider_id). */
  providerId: string
  plan: PlanSpec
}

/** What a provider keeps about a resource: stored with the record, given back at each call. */
export interface ProvisionedResource {
  /** The URL an app connects with, password included: the attachment's config var. */
  url: string
  [key: string]: unknown
}

export interface AddonProvider {
  /**
   * Makes the resource. Called after the record is written `provisioning`; on failure the
   * service calls `deprovision` to drop whatever was made before the error.
   */
  provision(request: ProvisionRequest): Promise<ProvisionedResource>
  /**
   * Drops the resource and everything in it. Idempotent: called again after a crash, or for a
   * resource that was never (fully) made, it does what is left and succeeds.
   */
  deprovision(request: {addonId: string; providerId: string; resource: Record<string, unknown> | null}): Promise<void>
  /** At start: resources already provisioned that must run (processes to start), given once. */
  resume?(resources: ReadonlyArray<{addonId: string; providerId: string; plan: PlanSpec; resource: Record<string, unknown>}>): Promise<void>
  /** Why this provider cannot provision here (nothing to run it on), or undefined when it can. */
  unavailable?(): string | undefined
  /**
   * Backups, for a provider of databases (pg:backups): writes a dump of the resource's data to
   * `file`, and replaces the resource's data with a dump's. Both with the resource's own credentials.
   */
  data?: AddonDataTools
  /** Stops what the provider runs (processes stay stopped until the next start resumes them). */
  close(): Promise<void>
}

export interface AddonDataTools {
  /** `signal` stops it (the add-on is being destroyed, the control plane stops). */
  capture(resource: Record<string, unknown>, file: string, signal?: AbortSignal): Promise<void>
  restore(resource: Record<string, unknown>, file: string, signal?: AbortSignal): Promise<void>
  /** What pg:info shows, measured now; rejects when the resource does not answer. */
  facts(resource: Record<string, unknown>): Promise<{pg_version: string; connections_used: number; data_size_bytes: number; tables: number}>
}
