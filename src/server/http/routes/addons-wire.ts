// Add-ons, attachments, services and plans in Heroku's shapes (the Platform API's add-on,
// add-on-attachment, add-on-service and plan), from the records and the catalogue.
import type {AddOn, AddOnAttachment, AddOnPlan, AddOnService} from '../../../shared/api-types.js'
import {findPlan, findService, type PlanSpec, type ServiceSpec} from '../../addons/catalog.js'
import {configVarOf} from '../../addons/service.js'
import {GENERATION} from '../../domain/catalog.js'
import type {AddonAttachmentRecord, AddonRecord, AppRecord, Store} from '../../store/index.js'

const FREE = {cents: 0, contract: false, unit: 'month'}

export function serviceToWire(service: ServiceSpec): AddOnService {
  return {
    cli_plugin_name: null,
    created_at: service.created_at,
    human_name: service.human_name,
    id: service.id,
    name: service.name,
    state: 'ga',
    supports_multiple_installations: true,
    supports_sharing: true,
    updated_at: service.created_at,
    supported_generations: [GENERATION],
  }
}

export function planToWire(service: ServiceSpec, plan: PlanSpec): AddOnPlan {
  return {
    addon_service: {id: service.id, name: service.name},
    compliance: null,
    created_at: service.created_at,
    default: plan.default,
    description: plan.description,
    human_name: plan.human_name,
    id: plan.id,
    installable_inside_private_network: false,
    installable_outside_private_network: true,
    name: `${service.name}:${plan.name}`,
    price: FREE,
    space_default: false,
    state: 'public',
    updated_at: service.created_at,
    visible: true,
  }
}

function appRef(store: Store, appId: string): {id: string; name: string} {
  return {id: appId, name: store.apps.get(appId)?.name ?? appId}
}

export function addonToWire(store: Store, addon: AddonRecord, app?: AppRecord): AddOn {
  const service = findService(addon.service)
  const plan = service && findPlan(service, addon.plan)
  const owner = app ?? store.apps.get(addon.app_id)
  const ownerRef = owner ? {id: owner.id, name: owner.name} : appRef(store, addon.app_id)
  const vars = [...new Set(store.addons.attachmentsOfAddon(addon.id).map((a) => configVarOf(a.name)))]
  return {
    actions: [],
    addon_service: {id: service?.id ?? addon.service, name: service?.name ?? addon.service},
    app: ownerRef,
    billed_price: FREE,
    billing_entity: {id: ownerRef.id, name: ownerRef.name, type: 'app'},
    config_vars: vars,
    created_at: addon.created_at,
    id: addon.id,
    name: addon.name,
    plan: {id: plan?.id ?? addon.plan, name: `${addon.service}:${addon.plan}`},
    provider_id: addon.provider_id,
    provision_message: service?.provisionMessage ?? '',
    state: addon.state === 'deprovisioning' ? 'deprovisioned' : addon.state,
    updated_at: addon.updated_at,
    web_url: null,
  }
}

export function attachmentToWire(store: Store, attachment: AddonAttachmentRecord): AddOnAttachment {
  const addon = store.addons.get(attachment.addon_id)
  return {
    addon: {id: attachment.addon_id, name: addon?.name ?? attachment.addon_id, app: appRef(store, addon?.app_id ?? attachment.app_id)},
    app: appRef(store, attachment.app_id),
    created_at: attachment.created_at,
    id: attachment.id,
    name: attachment.name,
    namespace: null,
    updated_at: attachment.updated_at,
    web_url: null,
    log_input_url: null,
  }
}
