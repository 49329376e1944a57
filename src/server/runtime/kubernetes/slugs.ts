// Slugs without a registry: a pod's init container fetches its release's code from the control
// plane through a capability URL (`GET /slugs/<token>`, public), as Deis's slugrunner fetched from
// its builder. The token is the only secret: 32 bytes, HMAC-SHA256 of the release under a key kept
// in the data directory (mode 0600), so it cannot be guessed, differs per release, and stays the
// same across restarts of the control plane (a Deployment's pods restart for months with the URL
// their template was given). It is honoured only while the release exists and the app is not being
// destroyed: destroying the app revokes every token of it at once.
import {createHmac, randomBytes} from 'node:crypto'
import {chmodSync, existsSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
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

export class SlugTokens {
  /** token -> where it leads; filled as tokens are handed out (every release the runtime runs). */
  private readonly byToken = new Map<string, {appId: string; releaseId: string}>()
  private readonly revoked = new Set<string>()

  constructor(private readonly store: Store, private readonly key: Buffer) {}

  token(appId: string, releaseId: string): string {
    const token = createHmac('sha256', this.key).update(`${appId}\n${releaseId}`).digest('base64url')
    this.byToken.set(token, {appId, releaseId})
    this.revoked.delete(appId)
    return token
  }

  /** Every token of the app stops working now. */
  revokeApp(appId: string): void {
    this.revoked.add(appId)
    for (const [token, target] of this.byToken) if (target.appId === appId) this.byToken.delete(token)
  }

  /** What a token leads to, or undefined (unknown, revoked, release or its code gone). */
  resolve(token: string): SlugSource | undefined {
    const target = this.byToken.get(token)
    if (!target || this.revoked.has(target.appId)) return undefined
    const dir = this.store.releases.get(target.appId, target.releaseId)?.code_dir
    if (!dir || !existsSync(dir)) return undefined
    return {stream: () => Readable.from(createTar({gzip: true, cwd: dir, portable: true}, ['.']))}
  }
}
