// The typed Platform API v3 client. It does no work at import time: every command loads it, and
// `tug --version` must stay fast. undici itself is imported on the first request.
import type {Dispatcher} from 'undici'

import {ApiError} from '../errors.js'
import type {ApiResponse, RequestConfig, RequestOptions} from './request.js'
import {apiRequest} from './request.js'
import {accountResource} from './resources/account.js'
import type {AccountResource} from './resources/account.js'
import {appsResource} from './resources/apps.js'
import {auditResource, type AuditResource} from './resources/audit.js'
import {authorizationsResource, type AuthorizationsResource} from './resources/authorizations.js'
import type {AppsResource} from './resources/apps.js'
import {buildpackInstallationsResource, type BuildpackInstallationsResource} from './resources/buildpack-installations.js'
import {buildsResource} from './resources/builds.js'
import type {BuildsResource} from './resources/builds.js'
import {collaboratorsResource, type CollaboratorsResource} from './resources/collaborators.js'
import {configVarsResource} from './resources/config-vars.js'
import type {ConfigVarsResource} from './resources/config-vars.js'
import {dynoSizesResource} from './resources/dyno-sizes.js'
import type {DynoSizesResource} from './resources/dyno-sizes.js'
import {dynosResource} from './resources/dynos.js'
import type {DynosResource} from './resources/dynos.js'
import {formationResource} from './resources/formation.js'
import type {FormationResource} from './resources/formation.js'
import {logDrainsResource, type LogDrainsResource} from './resources/log-drains.js'
import {logSessionsResource} from './resources/log-sessions.js'
import type {LogSessionsResource} from './resources/log-sessions.js'
import {releasesResource} from './resources/releases.js'
import {schedulesResource, type SchedulesResource} from './resources/schedules.js'
import type {ReleasesResource} from './resources/releases.js'
import {runtimeSettingsResource, type RuntimeSettingsResource} from './resources/runtime-settings.js'
import {sourcesResource} from './resources/sources.js'
import {teamsResource, type TeamsResource} from './resources/teams.js'
import {usersResource, type UsersResource} from './resources/users.js'
import type {SourcesResource} from './resources/sources.js'
import type {Requester} from './requester.js'

export type {ApiResponse, RequestOptions} from './request.js'

export interface ClientOptions {
  /** e.g. http://127.0.0.1:5055 (a trailing slash is fine). */
  baseUrl: string
  token?: string
  /** Default `tug/<package version>`. */
  userAgent?: string
  /** Connect and headers timeout, and the longest silence while reading a body. Default 30000. */
  timeoutMs?: number
  /** Retries of idempotent requests on 429/503/connection resets. Default 3. */
  retries?: number
  /** Accept variant: 'sdk' sends `version=3.sdk`. Default none. */
  variant?: string
  dispatcher?: Dispatcher
  /** Injected by tests of the back-off. */
  sleep?: (ms: number) => Promise<void>
  /** Called once per distinct X-Heroku-Warning / Warning-Message the server sends. */
  onWarning?: (message: string) => void
}

const DEFAULT_TIMEOUT_MS = 30_000
const DEFAULT_RETRIES = 3
/** 1000 pages of up to 1000 items: far beyond any real list, so reaching it means a loop. */
const MAX_PAGES = 1000

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export class ApiClient implements Requester {
  readonly baseUrl: string
  readonly account: AccountResource
  readonly apps: AppsResource
  readonly formation: FormationResource
  readonly dynos: DynosResource
  readonly dynoSizes: DynoSizesResource
  readonly config: ConfigVarsResource
  readonly releases: ReleasesResource
  readonly logSessions: LogSessionsResource
  readonly logDrains: LogDrainsResource = logDrainsResource(this)
  readonly schedules: SchedulesResource = schedulesResource(this)
  readonly runtimeSettings: RuntimeSettingsResource = runtimeSettingsResource(this)
  readonly buildpacks: BuildpackInstallationsResource = buildpackInstallationsResource(this)
  readonly authorizations: AuthorizationsResource = authorizationsResource(this)
  readonly users: UsersResource = usersResource(this)
  readonly collaborators: CollaboratorsResource = collaboratorsResource(this)
  readonly teams: TeamsResource = teamsResource(this)
  readonly audit: AuditResource = auditResource(this)
  readonly sources: SourcesResource
  readonly builds: BuildsResource
  private readonly settings: RequestConfig

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.settings = {
      baseUrl: this.baseUrl,
      token: options.token,
      userAgent: options.userAgent,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retries: Math.max(0, options.retries ?? DEFAULT_RETRIES),
      variant: options.variant,
      dispatcher: options.dispatcher,
      sleep: options.sleep ?? realSleep,
      onWarning: options.onWarning,
    }
    this.account = accountResource(this)
    this.apps = appsResource(this)
    this.formation = formationResource(this)
    this.dynos = dynosResource(this)
    this.dynoSizes = dynoSizesResource(this)
    this.config = configVarsResource(this)
    this.releases = releasesResource(this)
    this.logSessions = logSessionsResource(this)
    this.sources = sourcesResource(this)
    this.builds = buildsResource(this)
  }

  request<T>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>> {
    return apiRequest<T>(this.settings, method, path, options)
  }

  async get<T>(path: string, options?: RequestOptions): Promise<T> {
    return (await this.request<T>('GET', path, options)).body
  }

  /**
   * Every page of a list: re-requests with `Next-Range` for as long as the server sends one
   * (Heroku's clients do so regardless of status, 206 or 200).
   */
  async list<T>(path: string, options: RequestOptions = {}): Promise<T[]> {
    const items: T[] = []
    let range = options.range
    // The same Next-Range twice would fetch the same page again: a server stuck in a loop.
    const seen = new Set<string>(range === undefined ? [] : [range])
    for (let page = 1; ; page++) {
      const response = await this.request<T[]>('GET', path, {...options, range})
      if (!Array.isArray(response.body)) {
        throw new ApiError({
          status: response.status,
          id: 'invalid_response',
          message: `The server answered GET ${path} with ${response.body === undefined ? 'an empty body' : 'something other than a list'}`,
          requestId: response.headers.get('request-id') ?? undefined,
          body: response.body,
        })
      }
      items.push(...response.body)
      const next = response.headers.get('next-range')
      if (next === null || next.trim() === '') return items
      if (seen.has(next) || page >= MAX_PAGES) {
        throw new ApiError({
          status: response.status,
          id: 'pagination_loop',
          message: `The server kept paginating GET ${path} (Next-Range ${JSON.stringify(next)} after ${page} pages); giving up`,
          requestId: response.headers.get('request-id') ?? undefined,
        })
      }
      seen.add(next)
      range = next
    }
  }

  async post<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T> {
    return (await this.request<T>('POST', path, {...options, body})).body
  }

  async patch<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T> {
    return (await this.request<T>('PATCH', path, {...options, body})).body
  }

  async put<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T> {
    return (await this.request<T>('PUT', path, {...options, body})).body
  }

  async delete<T>(path: string, options?: RequestOptions): Promise<T> {
    return (await this.request<T>('DELETE', path, options)).body
  }
}
