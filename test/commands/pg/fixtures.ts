// Add-ons and attachments as the API answers them, for the pg and redis command tests.
import type {AddOn, AddOnAttachment} from '../../../src/shared/api-types.js'

const SHOP = {id: '01234567-89ab-cdef-0123-456789abcdef', name: 'shop'}

export const addon = (ref: {id: string; name: string}, service: string): AddOn => ({
  actions: [],
  addon_service: {id: `${service}-id`, name: service},
  app: SHOP,
  billed_price: {cents: 0, contract: false, unit: 'month'},
  billing_entity: {...SHOP, type: 'app'},
  config_vars: [],
  created_at: '2026-11-27T11:15:29Z',
  id: ref.id,
  name: ref.name,
  plan: {id: 'plan', name: `${service}:mini`},
  provider_id: 'tug_x',
  provision_message: '',
  state: 'provisioned',
  updated_at: '2026-11-27T11:15:29Z',
  web_url: null,
})

export const attachment = (ref: {id: string; name: string}, name: string): AddOnAttachment => ({
  addon: {...ref, app: SHOP},
  app: SHOP,
  created_at: '2026-11-27T11:15:29Z',
  id: `b-${name}`,
  name,
  namespace: null,
  updated_at: '2026-11-27T11:15:29Z',
  web_url: null,
  log_input_url: null,
})
