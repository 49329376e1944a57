// The pre-receive hook's program. It runs inside git-receive-pack, a child of git http-backend, a
// child of the control plane, and only relays: it sends the ref updates (and where git keeps the
// pushed objects until the hook accepts them) to the control plane with the push's one-time
// secret, writes each line of the answer to stderr, which git shows the pusher as `remote: ...`,
// and exits with the verdict of the answer's last line. Everything else (which refs are allowed,
// the build) is decided in the control plane, where it is typed and tested.
//
// It is a string because it is installed into each repository, and runs with the control plane's
// own node (no TypeScript loader, no package resolution): node's built-ins only.

/** The variables the control plane puts in the CGI environment of a push, for its hook. */
export const HOOK_ENV = {
  node: 'TUG_GIT_NODE',
  url: 'TUG_GIT_HOOK_URL',
  secret: 'TUG_GIT_HOOK_SECRET',
} as const

/** The answer's last line: the verdict, after a NUL so that no build output can look like it. */
export const VERDICT_PREFIX = '\u0000tug-verdict '

/** Where git keeps the objects of a push until pre-receive accepts it: the hook passes these on. */
export const QUARANTINE_ENV = ['GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_QUARANTINE_PATH'] as const

export const PRE_RECEIVE_SCRIPT = `// tug's pre-receive hook (platform code; the control plane rewrites this file).
import {request} from 'node:http'

const url = new URL(process.env.${HOOK_ENV.url})
const secret = process.env.${HOOK_ENV.secret} ?? ''
const say = (line) => process.stderr.write(line + '\\n')

let refs = ''
process.stdin.setEncoding('utf8')
for await (const chunk of process.stdin) refs += chunk
const env = {}
for (const name of ${JSON.stringify(QUARANTINE_ENV)}) if (process.env[name]) env[name] = process.env[name]
const body = JSON.stringify({refs, env})

const req = request(url, {
  method: 'POST',
  headers: {authorization: 'Bearer ' + secret, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body)},
})
req.on('error', (error) => {
  say('!      Could not reach the tug control plane (' + error.message + '): the push is rejected.')
  process.exit(1)
})
req.on('response', (res) => {
  let verdict = 'rejected'
  let rest = ''
  const line = (text) => {
    if (text.startsWith(${JSON.stringify(VERDICT_PREFIX)})) verdict = text.slice(${VERDICT_PREFIX.length})
    else say(text)
  }
  res.setEncoding('utf8')
  res.on('data', (chunk) => {
    rest += chunk
    let end
    while ((end = rest.indexOf('\\n')) >= 0) {
      line(rest.slice(0, end))
      rest = rest.slice(end + 1)
    }
  })
  res.on('end', () => {
    if (rest !== '') line(rest)
    process.exit(res.statusCode === 200 && verdict === 'accepted' ? 0 : 1)
  })
  res.on('error', () => {
    say('!      The tug control plane closed the connection: the push is rejected.')
    process.exit(1)
  })
})
req.end(body)
`
