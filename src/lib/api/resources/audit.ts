import type {Requester} from '../requester.js'
import type {AuditEvent} from '../../../shared/api-types.js'

export interface AuditQuery {
  app?: string
  /** RFC 3339. */
  since?: string
  limit?: number
}

export interface AuditResource {
  list(query?: AuditQuery): Promise<AuditEvent[]>
}

export function auditResource(client: Requester): AuditResource {
  return {
    list: (query = {}) => {
      const params = new URLSearchParams()
      if (query.app !== undefined) params.set('app', query.app)
      if (query.since !== undefined) params.set('since', query.since)
      if (query.limit !== undefined) params.set('limit', String(query.limit))
      const search = params.toString()
      return client.list<AuditEvent>(search === '' ? '/audit' : `/audit?${search}`)
    },
  }
}
