// How add-ons read in the terminal, in the words of Heroku's CLI: `created` for provisioned, the
// attachments under each add-on, `Created postgresql-curved-12345 as DATABASE_URL`.
import type {AddOn, AddOnAttachment, AddOnState} from '../../shared/api-types.js'
import {table} from '../cli/table.js'

const STATES: Record<AddOnState, string> = {provisioning: 'creating', provisioned: 'created', deprovisioned: 'destroyed'}

export function stateWord(state: AddOnState): string {
  return STATES[state] ?? state
}

/** The plan without its service: `postgresql:mini` -> `mini`. */
export function planShort(addon: AddOn): string {
  return addon.plan.name.replace(/^[^:]*:/, '')
}

/** `tug addons -a APP`: each add-on, then one line per attachment (`as DATABASE`, `as SHARED on other app`). */
export function appAddonsLines(app: string, addons: AddOn[], attachments: AddOnAttachment[]): string[] {
  const rows: string[][] = [['Add-on', 'Plan', 'State']]
  for (const addon of addons) {
    const owner = addon.app.name === app ? '' : ` (owned by ${addon.app.name})`
    rows.push([`${addon.addon_service.name} (${addon.name})${owner}`, planShort(addon), stateWord(addon.state)])
    for (const attachment of attachments.filter((a) => a.addon.id === addon.id)) {
      const where = attachment.app.name === app ? '' : ` on ${attachment.app.name} app`
      rows.push([` └─ as ${attachment.name}${where}`, '', ''])
    }
  }
  return [...table(rows), '', `The table above shows add-ons and the attachments to the current app (${app}) or other apps.`]
}

/** `tug addons` without an app: every add-on of every app. */
export function allAddonsLines(addons: AddOn[]): string[] {
  return table([['Owning app', 'Add-on', 'Plan', 'State'], ...addons.map((a) => [a.app.name, a.name, a.plan.name, stateWord(a.state)])])
}

/** `tug addons:info`: Heroku's styled object. */
export function addonInfoLines(addon: AddOn, attachments: AddOnAttachment[]): string[] {
  const rows: Array<[string, string]> = [
    ['Plan', addon.plan.name],
    ['Attachments', attachments.map((a) => `${a.app.name}::${a.name}`).join(', ')],
    ['Owning app', addon.app.name],
    ['Installed at', addon.created_at],
    ['State', stateWord(addon.state)],
  ]
  const width = Math.max(...rows.map(([key]) => key.length)) + 1
  return [`=== ${addon.name}`, '', ...rows.map(([key, value]) => `${`${key}:`.padEnd(width)} ${value}`.trimEnd())]
}

/** `Created postgresql-curved-12345 as DATABASE_URL`, as Heroku's addons:create says it. */
export function createdLine(addon: AddOn): string {
  return addon.config_vars.length > 0 ? `Created ${addon.name} as ${addon.config_vars.join(', ')}` : `Created ${addon.name}`
}
