// The unprivileged user an add-on server runs as. PostgreSQL refuses to run as root, and neither
// server should: a control plane run as root (the sandbox needs it) runs them as the user their
// Debian package made (`postgres`, `redis`), or `nobody` where that user does not exist. A control
// plane run as an ordinary user runs them as itself.
import {readFileSync} from 'node:fs'
import type {ServiceUser} from './supervised-process.js'

function lookup(name: string): ServiceUser | undefined {
  let passwd = ''
  try {
    passwd = readFileSync('/etc/passwd', 'utf8')
  } catch {
    return undefined
  }
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':')
    if (user === name && uid !== undefined && gid !== undefined) return {uid: Number(uid), gid: Number(gid)}
  }
  return undefined
}

/** undefined: run as the control plane's own user. */
export function serviceUser(preferred: string): ServiceUser | undefined {
  if (process.getuid?.() !== 0) return undefined
  return lookup(preferred) ?? lookup('nobody') ?? {uid: 65_534, gid: 65_534}
}
