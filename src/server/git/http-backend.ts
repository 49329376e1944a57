// git's smart HTTP protocol is served by git itself: `git http-backend`, a CGI program. This runs
// it for one request, streams the request body to it (counted against a cap: packs can be large,
// but not unbounded) and its answer back, the CGI header block parsed into a status and headers.
import {execFileSync, spawn} from 'node:child_process'
import {join} from 'node:path'
import {PassThrough, type Readable} from 'node:stream'

import {DomainError} from '../domain/errors.js'
import {gitEnv} from './repos.js'

export interface CgiRequest {
  method: 'GET' | 'POST'
  /** The repository's root: `PATH_INFO` is resolved under it. */
  projectRoot: string
  /** `/<app-id>.git/info/refs`, `/<app-id>.git/git-receive-pack`, ... */
  pathInfo: string
  query: string
  contentType?: string
  contentLength?: number
  contentEncoding?: string
  /** The `Git-Protocol` header (protocol v2 negotiation). */
  gitProtocol?: string
  remoteUser: string
  remoteAddr: string
  body?: Readable
  /** Largest request body accepted, in bytes as they come over the wire. */
  maxBodyBytes: number
  /** More environment for git and its hooks. */
  env?: Record<string, string>
}

export interface CgiResponse {
  status: number
  headers: Record<string, string>
  body: Readable
  /** Resolves when http-backend has exited. */
  exited: Promise<void>
}

let backendPath: string | undefined

/** Where git keeps `git-http-backend` (`git --exec-path`: /usr/lib/git-core on Debian). */
export function httpBackendPath(): string {
  backendPath ??= join(execFileSync('git', ['--exec-path'], {encoding: 'utf8', env: gitEnv()}).trim(), 'git-http-backend')
  return backendPath
}

export function tooLarge(limit: number): DomainError {
  return new DomainError('too_large', `The push is too large: the limit is ${limit} bytes (the same as a source upload's).`)
}

/** Splits the CGI output's header block (up to the first empty line) from the body. */
function parseHeaderBlock(block: string): {status: number; headers: Record<string, string>} {
  let status = 200
  const headers: Record<string, string> = {}
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim()
    const value = line.slice(colon + 1).trim()
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500
    else headers[name] = value
  }
  return {status, headers}
}

export function runHttpBackend(request: CgiRequest): Promise<CgiResponse> {
  if (request.contentLength !== undefined && request.contentLength > request.maxBodyBytes) throw tooLarge(request.maxBodyBytes)
  const env = gitEnv({
    ...request.env,
    GIT_PROJECT_ROOT: request.projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: request.pathInfo,
    REQUEST_METHOD: request.method,
    QUERY_STRING: request.query,
    REMOTE_USER: request.remoteUser,
    REMOTE_ADDR: request.remoteAddr,
    ...(request.contentType === undefined ? {} : {CONTENT_TYPE: request.contentType}),
    ...(request.contentLength === undefined ? {} : {CONTENT_LENGTH: String(request.contentLength)}),
    ...(request.contentEncoding === undefined ? {} : {HTTP_CONTENT_ENCODING: request.contentEncoding}),
    ...(request.gitProtocol === undefined ? {} : {GIT_PROTOCOL: request.gitProtocol, HTTP_GIT_PROTOCOL: request.gitProtocol}),
    // The cap above counts the bytes on the wire; http-backend inflates a gzip body before
    // receive-pack reads it, so receive-pack caps the pack it takes as well.
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'receive.maxInputSize',
    GIT_CONFIG_VALUE_0: String(request.maxBodyBytes),
  })
  const child = spawn(httpBackendPath(), [], {env, stdio: ['pipe', 'pipe', 'pipe']})
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()))
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 8192) stderr += chunk
  })
  // http-backend may stop reading early (a bad request): its stdin's EPIPE is not our error.
  child.stdin.on('error', () => {})

  // The answer waits until the whole request body has come in: http-backend writes its headers
  // before it reads the body, and a body over the cap must still be answered with a 413.
  return new Promise<CgiResponse>((resolve, reject) => {
    let settled = false
    let bodyDone = request.body === undefined
    let parsed: {status: number; headers: Record<string, string>; end: number} | undefined
    let head = Buffer.alloc(0)
    const body = new PassThrough()

    const fail = (error: Error): void => {
      child.kill('SIGKILL')
      if (!settled) {
        settled = true
        reject(error)
      } else {
        body.destroy(error)
      }
    }
    const answer = (): void => {
      if (settled || !parsed || !bodyDone) return
      settled = true
      const rest = head.subarray(parsed.end)
      if (rest.length > 0) body.write(rest)
      child.stdout.resume()
      resolve({status: parsed.status, headers: parsed.headers, body, exited})
    }

    if (request.body) {
      const source = request.body
      let bytes = 0
      let over = false
      source.on('data', (chunk: Buffer) => {
        if (over) return
        bytes += chunk.length
        if (bytes > request.maxBodyBytes) {
          // The rest is not read: the route answers 413 and closes the connection.
          over = true
          source.pause()
          fail(tooLarge(request.maxBodyBytes))
          return
        }
        // Once http-backend has stopped reading (it answered early), the rest is read and dropped.
        if (child.stdin.writableEnded || child.stdin.destroyed) return
        if (!child.stdin.write(chunk)) {
          source.pause()
          const resume = (): void => {
            child.stdin.off('drain', resume)
            child.stdin.off('close', resume)
            source.resume()
          }
          child.stdin.on('drain', resume)
          child.stdin.on('close', resume)
        }
      })
      source.on('end', () => {
        if (over) return
        child.stdin.end()
        bodyDone = true
        answer()
      })
      source.on('error', (error) => fail(error))
    } else {
      child.stdin.end()
    }

    child.stdout.on('data', (chunk: Buffer) => {
      if (settled) {
        if (!body.write(chunk)) {
          child.stdout.pause()
          body.once('drain', () => child.stdout.resume())
        }
        return
      }
      head = Buffer.concat([head, chunk])
      if (!parsed) {
        const text = head.toString('latin1')
        const crlf = text.indexOf('\r\n\r\n')
        const lf = text.indexOf('\n\n')
        const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1
        if (end < 0) {
          if (head.length > 64 * 1024) fail(new Error('git http-backend sent no end to its headers'))
          return
        }
        parsed = {...parseHeaderBlock(text.slice(0, end)), end}
      }
      // Held until the request body is in; past a little, http-backend waits too.
      if (head.length > 1024 * 1024) child.stdout.pause()
      answer()
    })
    child.stdout.on('end', () => {
      if (settled) {
        body.end()
        return
      }
      if (parsed && !bodyDone) {
        // It stopped reading before the body's end (a malformed request): answer with what it said.
        bodyDone = true
        answer()
        body.end()
        return
      }
      answer()
      if (settled) {
        body.end()
        return
      }
      settled = true
      reject(new Error(`git http-backend answered nothing${stderr ? `: ${stderr.trim()}` : ''}`))
    })
    child.on('error', (error) => fail(error))
    // The client went away: nothing will read the rest, and a receive-pack must not outlive its push.
    body.on('close', () => {
      if (child.exitCode === null && child.signalCode === null && !body.readableEnded) child.kill('SIGTERM')
    })
  })
}
