// A throwaway self-signed certificate for localhost/127.0.0.1, made with the openssl command.
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export interface TestCert {
  dir: string
  key: Buffer
  cert: Buffer
  certFile: string
  remove(): void
}

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

export function makeTestCert(): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'tug-cert-'))
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], {stdio: 'ignore'})
  return {
    dir,
    key: readFileSync(join(dir, 'key.pem')),
    cert: readFileSync(join(dir, 'cert.pem')),
    certFile: join(dir, 'cert.pem'),
    remove: () => rmSync(dir, {recursive: true, force: true}),
  }
}
