// The add-on routes the CLI calls (Heroku's: platform-api add-on, add-on-attachment).
import type {Requester} from '../api/requester.js'
import {pathOf} from '../api/resources/path.js'
import type {AddOn, AddOnAttachment, AddOnCreateBody} from '../../shared/api-types.js'

export interface AddonsApi {
  list(app?: string): Promise<AddOn[]>
  attachments(app?: string): Promise<AddOnAttachment[]>
  /** An add-on by id or name; with an app, also by its attachment name there (DATABASE). */
  info(addon: string, app?: string): Promise<AddOn>
  create(app: string, body: AddOnCreateBody): Promise<AddOn>
  destroy(app: string, addon: string): Promise<AddOn>
  attach(addon: string, app: string, name?: string): Promise<AddOnAttachment>
  /** An attachment of `app` by name (DATABASE) or id. */
  attachment(app: string, attachment: string): Promise<AddOnAttachment>
  detach(id: string): Promise<AddOnAttachment>
}

export function addonsApi(client: Requester): AddonsApi {
  return {
    list: (app) => client.list<AddOn>(app === undefined ? '/addons' : pathOf('apps', app, 'addons')),
    attachments: (app) => client.list<AddOnAttachment>(app === undefined ? '/addon-attachments' : pathOf('apps', app, 'addon-attachments')),
    info: (addon, app) => client.get<AddOn>(app === undefined ? pathOf('addons', addon) : pathOf('apps', app, 'addons', addon)),
    create: (app, body) => client.post<AddOn>(pathOf('apps', app, 'addons'), body),
    destroy: (app, addon) => client.delete<AddOn>(pathOf('apps', app, 'addons', addon)),
    attach: (addon, app, name) => client.post<AddOnAttachment>('/addon-attachments', {addon, app, ...(name === undefined ? {} : {name})}),
    attachment: (app, attachment) => client.get<AddOnAttachment>(pathOf('apps', app, 'addon-attachments', attachment)),
    detach: (id) => client.delete<AddOnAttachment>(pathOf('addon-attachments', id)),
  }
}
