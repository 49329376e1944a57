import type {Requester} from '../requester.js'
import type {Source} from '../../../shared/api-types.js'
import {pathOf} from './path.js'

export interface SourcesResource {
  create(app: string): Promise<Source>
  /**
   * PUT the bytes to a source's put_url. The URL is absolute and may point at storage elsewhere:
   * the request path sends the token only to the API's own origin. No Content-Type is sent, as
   * in Heroku's documented `curl -X PUT -H 'Content-Type:'`: a presigned storage URL may have
   * signed an empty one.
   */
  upload(putUrl: string, data: Uint8Array): Promise<void>
}

export function sourcesResource(client: Requester): SourcesResource {
  return {
    create: (app) => client.post<Source>(pathOf('apps', app, 'sources')),
    upload: async (putUrl, data) => {
      await client.request('PUT', putUrl, {body: data, discardBody: true})
    },
  }
}
