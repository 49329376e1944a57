// Slugs without a registry: a pod's init container fetches its release's code from the control
// plane through a capability URL (`GET /slugs/<token>`, public), as Deis's slugrunner fetched from
// its builder. The token is `<app id>.<release id>.<mac>`, the mac an HMAC-SHA256 of both ids under
// a key kept in the data directory (mode 0600): it cannot be guessed, differs per release, and is
// checked by recomputing it and comparing in constant time, so it stays valid across restarts of
// the control plane (a Deployment's pods restart for months with the URL their template was given,
// older releases' pods and one-offs included) without a table of tokens. It is honoured only while
// the release and its code exist and the app is not being destroyed: destroying the app revokes
// every token of it at once. Ids are looked up in the store, never used as paths.
import {createHmac, randomBytes, timingSafeEqual} from 'node:crypto'
import {chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Readable} from 'node:stream'

import {create as createTar} from 'tar'

import type {Store} from '../../store/index.js'

export const SLUG_KEY_FILE = 'kubernetes-slug-key'
export const SLUG_ROUTE_PREFIX = '/slugs/'

/** The key in `<dataDir>/kubernetes-slug-key`, made on first use. */
export function loadSlugKey(dataDir: string): Buffer {
  const path = join(dataDir, SLUG_KEY_FILE)
  if (existsSync(path)) {
    // Readable by the control plane's user only, whatever made it otherwise.
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600)
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64url')
    if (key.length >= 32) return key
  }
  const key = randomBytes(32)
  const temp = `${path}.${process.pid}.tmp`
  writeFileSync(temp, key.toString('base64url'), {mode: 0o600})
  chmodSync(temp, 0o600)
  renameSync(temp, path)
  return key
}

export interface SlugSource {
  /** The release's code directory, tarred and gzipped as it is read. */
  stream(): Readable
}

const ID = /^[A-Za-z0-9-]{1,64}$/

export class SlugTokens {
  /** Apps being destroyed: their tokens fail even before their records go. */
  private readonly revoked = new Set<string>()

  constructor(private readonly store: Store, private readonly key: Buffer) {}

  token(appId: string, releaseId: string): string {
    this.revoked.delete(appId)
    return `${appId}.${releaseId}.${this.mac(appId, releaseId).toString('base64url')}`
  }

  /** Every token of the app stops working now. */
  revokeApp(appId: string): void {
    this.revoked.add(appId)
  }

  /** What a token leads to, or undefined (malformed, forged, revoked, release or its code gone). */
  resolve(token: string): SlugSource | undefined {
    const [appId, releaseId, mac, ...rest] = token.split('.')
    if (appId === undefined || releaseId === undefined || mac === undefined || rest.length > 0) return undefined
    if (!ID.test(appId) || !ID.test(releaseId)) return undefined
    const given = Buffer.from(mac, 'base64url')
    const expected = this.mac(appId, releaseId)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
    if (this.revoked.has(appId) || !this.store.apps.get(appId)) return undefined
    const dir = this.store.releases.get(appId, releaseId)?.code_dir
    if (!dir || !existsSync(dir)) return undefined
    return {stream: () => Readable.from(createTar({gzip: true, cwd: dir, portable: true}, ['.']))}
  }

  private mac(appId: string, releaseId: string): Buffer {
    return createHmac('sha256', this.key).update(`${appId}\n${releaseId}`).digest()
  }
}
