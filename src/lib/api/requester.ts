// What a resource needs from the client: the verbs. Resources depend on this, not on ApiClient,
// so that client.ts can compose them without the two importing each other.
import type {ApiResponse, RequestOptions} from './request.js'

export interface Requester {
  request<T>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>
  get<T>(path: string, options?: RequestOptions): Promise<T>
  /** Every page of a list, following Next-Range. */
  list<T>(path: string, options?: RequestOptions): Promise<T[]>
  post<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T>
  patch<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T>
  put<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T>
  delete<T>(path: string, options?: RequestOptions): Promise<T>
}
