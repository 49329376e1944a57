// A throwaway control plane for the CLI benchmarks: `tug server` on free ports in a temp data
// dir, the environment that points tug at it, and one app deployed from a one-line Procfile.
import {spawn, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const root = fileURLToPath(new URL('../..', import.meta.url))
export const bin = join(root, 'bin', 'run.js')

/** Starts the server and deploys `app` (Procfile `worker: sleep 1000`); `stop()` removes it all. */
export async function startBenchServer({prefix, app, extraEnv = {}}) {
  const temp = mkdtempSync(join(tmpdir(), `${prefix}-`))
  const dataDir = join(temp, 'data')
  const home = join(temp, 'home')
  const code = join(temp, 'code')
  for (const dir of [dataDir, home, code]) mkdirSync(dir, {recursive: true})
  writeFileSync(join(code, 'Procfile'), 'worker: sleep 1000\n')
  const child = spawn(process.execPath, [bin, 'server', '--port', '0', '--rendezvous-port', '0', '--router-port', '0', '--data-dir', dataDir], {
    cwd: root,
    env: {...process.env, HOME: home, NO_COLOR: '1'},
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  const stop = async () => {
    try {
      process.kill(-child.pid, 'SIGTERM')
    } catch {
      // already gone
    }
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', resolve)))
    rmSync(temp, {recursive: true, force: true})
  }
  try {
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => (output += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk))
    const deadline = Date.now() + 30_000
    while (!/Use it with/.test(output)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`tug server did not start:\n${output}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const url = /listening on (\S+)/.exec(output)[1]
    const caFile = /CA file: (\S+)\)/.exec(output)?.[1]
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()
    const env = {
      ...process.env,
      HOME: home,
      NO_COLOR: '1',
      TUG_API_URL: url,
      TUG_API_KEY: token,
      ...(caFile ? {TUG_CA_FILE: caFile} : {}),
      ...extraEnv,
    }
    const tug = (args) => spawnSync(process.execPath, [bin, ...args], {cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
    for (const args of [['apps:create', app, '--no-remote'], ['deploy', code, '-a', app]]) {
      const result = tug(args)
      if (result.status !== 0) throw new Error(`tug ${args.join(' ')} failed:\n${result.stderr}`)
    }
    return {url, token, env, temp, tug, stop}
  } catch (error) {
    await stop()
    throw error
  }
}
