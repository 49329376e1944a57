#!/usr/bin/env node
// The quick start's demo: the whole process model on the embedded control plane, with the real
// CLI. Safe to run again: it reuses the app and deploys a new release. It leaves the local control
// plane running (and says so), so that the commands it prints at the end work straight away.
import {spawn, spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {dirname, join, relative} from 'node:path'

import {describeExit, exitCodeOf} from './exit-status.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = join(root, 'bin', 'run.js')
const app = process.env.TUG_DEMO_APP || 'demo'
const exampleDir = relative(process.cwd(), join(root, 'examples', 'demo')) || '.'
const tailSeconds = Number(process.env.TUG_DEMO_TAIL_SECONDS || 6)

// The demo is about the embedded control plane: a remote target in the environment is set aside.
const env = {...process.env}
for (const name of ['TUG_API_URL', 'TUG_API_KEY', 'TUG_APP', 'TUG_NO_AUTOSTART']) delete env[name]

const bold = (text) => (process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${text}\x1b[22m` : text)

function say(text) {
  process.stdout.write(`\n${bold(text)}\n`)
}

/** An argument as a shell user would type it, so that every command shown can be pasted. */
function shellWord(arg) {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`
}

function tug(args, {check = true, quiet = false, timeoutSeconds} = {}) {
  if (!quiet) process.stdout.write(`$ tug ${args.map(shellWord).join(' ')}\n`)
  const result = spawnSync(process.execPath, [bin, ...args], {
    env,
    stdio: quiet ? 'pipe' : ['ignore', 'inherit', 'inherit'],
    ...(timeoutSeconds ? {timeout: timeoutSeconds * 1000, killSignal: 'SIGINT'} : {}),
  })
  if (result.error?.code === 'ETIMEDOUT') {
    process.stderr.write(`\`tug ${args.map(shellWord).join(' ')}\` did not finish within ${timeoutSeconds} s; the demo goes on without it.\n`)
  }
  if (check && result.status !== 0) {
    process.stderr.write(`\nThe demo stopped: \`tug ${args.join(' ')}\` ${describeExit(result)}.\n`)
    process.exit(exitCodeOf(result) || 1)
  }
  return result
}

/** `tug logs --tail` for a few seconds, then stopped as a user would with Ctrl-C. */
function tailLogs(seconds) {
  return new Promise((resolve) => {
    process.stdout.write(`$ tug logs --tail -a ${app}   (for ${seconds} seconds)\n`)
    const child = spawn(process.execPath, [bin, 'logs', '--tail', '-n', '15', '-a', app], {env, stdio: ['ignore', 'inherit', 'inherit']})
    const timer = setTimeout(() => child.kill('SIGINT'), seconds * 1000)
    child.on('exit', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

spawnSync(process.execPath, [join(root, 'scripts', 'build.js'), '--if-needed'], {stdio: 'inherit'})

say(`1. An app on the embedded control plane (started in the background if it is not running)`)
if (tug(['apps:info', '-a', app, '--json'], {check: false, quiet: true}).status === 0) {
  process.stdout.write(`The app ${app} exists already: the demo deploys a new release of it.\n`)
} else {
  // No git remote: the demo runs inside tug's own clone, which is not the app's repository.
  tug(['apps:create', app, '--no-remote'])
}

say('2. Deploy examples/demo: a Procfile with web, worker and clock process types')
tug(['deploy', exampleDir, '-a', app])

say('3. Scale the formation, and wait until every dyno runs the new release and is up')
tug(['ps:scale', 'web=2', 'worker=2', 'clock=1', '-a', app])
tug(['ps:wait', '-a', app, '--wait-interval', '1', '--timeout', '120'])
tug(['ps', '-a', app])

say('4. A one-off dyno: its output, and its exit status as tug exits with it')
const oneOff = tug(['run', '-a', app, '--', 'echo "hello from $DYNO in $(pwd)"; exit 3'], {check: false, timeoutSeconds: 60})
process.stdout.write(`tug run ${describeExit(oneOff)}\n`)

say('5. Every dyno\'s output and the platform\'s events, as one stream')
await tailLogs(tailSeconds)

const info = spawnSync(process.execPath, [bin, 'apps:info', '-a', app, '--json'], {env, encoding: 'utf8'})
let webUrl
try {
  webUrl = JSON.parse(info.stdout).app?.web_url ?? undefined
} catch {
  webUrl = undefined
}

say('Next, try:')
process.stdout.write(
  [
    ...(webUrl ? [`  curl ${webUrl}    # the router spreads requests over web.1 and web.2`] : []),
    `  ./bin/run.js ps -a ${app}`,
    `  ./bin/run.js ps:scale worker+1 -a ${app}`,
    `  ./bin/run.js logs --tail -a ${app}`,
    `  ./bin/run.js run -a ${app} -- bash`,
    `  ./bin/run.js config:set GREETING=hi -a ${app}    # a new release, every dyno restarted onto it`,
    `  ./bin/run.js releases -a ${app}`,
    '',
    'The local control plane is still running, with the demo app scaled up:',
    `  ./bin/run.js ps:scale web=0 worker=0 clock=0 -a ${app}   # stops the dynos`,
    '  ./bin/run.js server:stop                                  # stops the control plane and its dynos',
    '',
  ].join('\n'),
)
