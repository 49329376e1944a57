// The API calls of the builds tests, which run buildApp on a port of their own.
const ACCEPT = 'application/vnd.heroku+json; version=3'

/** One API request with the admin token; the body parsed (undefined when empty). */
export async function callApi<T>(url: string, token: string, method: string, path: string, body?: unknown): Promise<{status: number; body: T}> {
  const response = await fetch(url + path, {
    method,
    headers: {Accept: ACCEPT, Authorization: `Bearer ${token}`, ...(body === undefined ? {} : {'Content-Type': 'application/json'})},
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return {status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T}
}
