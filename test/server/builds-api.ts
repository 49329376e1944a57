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

/** Makes a source for the app, uploads `data` to it, and gives its get_url (what a build names). */
export async function uploadSource(url: string, token: string, appName: string, data: Buffer): Promise<string> {
  const source = await callApi<{source_blob: {get_url: string; put_url: string}}>(url, token, 'POST', `/apps/${appName}/sources`)
  if (source.status !== 201) throw new Error(`POST /apps/${appName}/sources answered ${source.status}`)
  const put = await fetch(source.body.source_blob.put_url, {method: 'PUT', body: data})
  if (put.status !== 200) throw new Error(`the upload answered ${put.status}: ${await put.text()}`)
  return source.body.source_blob.get_url
}
