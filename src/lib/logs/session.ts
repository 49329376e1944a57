// Opening a log session: the one call behind `tug logs`, and the fresh session a tail that
// cannot resume starts again with.
import type {ApiClient} from '../api/client.js'
import type {LogSession, LogSessionCreateBody} from '../../shared/api-types.js'
import {ApiError} from '../errors.js'

/**
 * POST /apps/{app}/log-sessions. A server that keeps less history than asked for may refuse
 * `lines` with a 422 (Heroku's API caps it at 1500): its message stays, with a hint to ask for fewer.
 */
export async function openLogSession(api: Pick<ApiClient, 'logSessions'>, app: string, body: LogSessionCreateBody): Promise<LogSession> {
  try {
    return await api.logSessions.create(app, body)
  } catch (error) {
    if (error instanceof ApiError && error.status === 422 && body.lines !== undefined && body.lines > 0 && /\blines?\b/i.test(error.message)) {
      throw new ApiError({status: error.status, id: error.id, message: error.message, requestId: error.requestId, body: error.body, hint: fewerLinesHint(error.message, body.lines)})
    }
    throw error
  }
}

/** Names the server's own limit when its message gives one below what was asked. */
function fewerLinesHint(message: string, asked: number): string {
  const limits = (message.match(/\d[\d,]*/g) ?? []).map((n) => Number(n.replaceAll(',', ''))).filter((n) => n > 0 && n < asked)
  const limit = limits.length > 0 ? Math.max(...limits) : undefined
  return limit === undefined ? `This server refused ${asked} lines: ask for fewer with -n.` : `This server refused ${asked} lines: ask for at most ${limit} with -n ${limit}.`
}
