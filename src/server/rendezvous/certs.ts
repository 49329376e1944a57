// The rendezvous listener's certificate: a private CA and a server certificate it signs, made with
// the openssl command on the first start and kept in `<dataDir>/rendezvous/`. Clients trust the CA
// file (`tug server` prints its path): NODE_EXTRA_CA_CERTS for Heroku's CLI, TUG_CA_FILE for tug.
// openssl is on every machine this project runs on; a pure-JS X.509 signer would be a dependency
// far heavier than this file.
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {isIP} from 'node:net'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {RENDEZVOUS_DIR} from '../../shared/data-dir.js'

export interface RendezvousCert {
  caFile: string
  key: Buffer
  cert: Buffer
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, {cwd, stdio: ['ignore', 'ignore', 'pipe']})
}

/** The names the server certificate is valid for: loopback, this host, and the listen address. */
export function certificateNames(listenHost?: string): string[] {
  const names = new Set(['DNS:localhost', 'IP:127.0.0.1', 'IP:::1'])
  const own = hostname()
  if (own && /^[A-Za-z0-9.-]+$/.test(own)) names.add(`DNS:${own}`)
  if (listenHost && !['0.0.0.0', '::'].includes(listenHost)) names.add(isIP(listenHost) ? `IP:${listenHost}` : `DNS:${listenHost}`)
  return [...names]
}

/** Makes the CA and the server certificate unless they exist; returns them. */
export function ensureRendezvousCert(dataDir: string, listenHost?: string): RendezvousCert {
  const dir = join(dataDir, RENDEZVOUS_DIR)
  const caFile = join(dir, 'ca.pem')
  const keyFile = join(dir, 'server-key.pem')
  const certFile = join(dir, 'server.pem')
  if (!(existsSync(caFile) && existsSync(keyFile) && existsSync(certFile))) {
    mkdirSync(dir, {recursive: true, mode: 0o700})
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
    openssl(['req', '-x509', ...ec, '-days', '3650', '-subj', '/CN=tug rendezvous CA', '-keyout', 'ca-key.pem', '-out', 'ca.pem',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir)
    openssl(['req', ...ec, '-subj', '/CN=localhost', '-keyout', 'server-key.pem', '-out', 'server.csr'], dir)
    writeFileSync(join(dir, 'server.ext'), [
      `subjectAltName=${certificateNames(listenHost).join(',')}`,
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
    ].join('\n') + '\n')
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '825',
      '-sha256', '-extfile', 'server.ext', '-out', 'server.pem'], dir)
    for (const temp of ['server.csr', 'server.ext', 'ca.srl']) rmSync(join(dir, temp), {force: true})
  }
  return {caFile, key: readFileSync(keyFile), cert: readFileSync(certFile)}
}
