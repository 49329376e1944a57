// How long from `tug addons:create postgresql` to a dyno's first query (issue 16): the create,
// then `tug run -- psql "$DATABASE_URL" -c 'select 1'`, on a real control plane (`tug server` in a
// temp dir, dynos sandboxed as usual) with the real CLI. Beside it, in the same run and on the same
// PostgreSQL server, the bare way: createuser (CREATE ROLE with a password, which the embedded
// cluster's password authentication needs) + createdb + psql -c 'select 1' as the new role.
// Both for the operator-named server (the machine's, --addons-postgres-url) and for the cluster
// the control plane runs itself (its first create, which runs initdb, is reported apart).
//
//   node bench/addons [--trials 3] [--admin-url postgres://postgres@127.0.0.1:5432/postgres]
//
// Each figure is the median of --trials, the tug and bare paths interleaved. Builds dist/ first
// when needed; removes everything it made (add-ons destroyed, bare databases and roles dropped).
import {execFile, execFileSync, spawn} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const bin = join(root, 'bin', 'run.js')
const argv = process.argv.slice(2)
const option = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback)
const trials = Number(option('trials', '3'))
const adminUrl = option('admin-url', 'postgres://postgres@127.0.0.1:5432/postgres')
if (!Number.isInteger(trials) || trials < 1) {
  console.error('usage: node bench/addons [--trials N] [--admin-url URL]')
  process.exit(2)
}

execFileSync(process.execPath, [join(root, 'scripts', 'build.js'), '--if-needed'], {stdio: 'inherit'})

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const seconds = (ms) => (ms / 1000).toFixed(2)

function run(command, args, env) {
  return new Promise((resolve, reject) => {
    execFile(command, args, {env, maxBuffer: 16 * 1024 * 1024}, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${stderr || error.message}`))
      else resolve(stdout)
    })
  })
}

/** createuser + createdb + a first query as that role, timed; then both dropped (untimed). */
async function bare(server, n) {
  const name = `bench_bare_${process.pid}_${n}`
  const password = `pw${Math.random().toString(36).slice(2)}`
  const env = {PATH: process.env.PATH, PGPASSWORD: server.password ?? ''}
  const connection = ['-h', server.host, '-p', String(server.port), '-U', server.user, '-w']
  const start = performance.now()
  await run('psql', [...connection, '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE ROLE ${name} LOGIN PASSWORD '${password}'`], env)
  await run('createdb', [...connection, '-O', name, name], env)
  await run('psql', [`postgres://${name}:${password}@${server.host}:${server.port}/${name}`, '-qtAc', 'select 1'], {PATH: process.env.PATH})
  const elapsed = performance.now() - start
  await run('dropdb', [...connection, name], env)
  await run('psql', [...connection, '-d', 'postgres', '-qc', `DROP ROLE ${name}`], env)
  return elapsed
}

async function measure(kind) {
  const temp = mkdtempSync(join(tmpdir(), 'tug-bench-addons-'))
  const dataDir = join(temp, 'data')
  const code = join(temp, 'code')
  mkdirSync(code)
  writeFileSync(join(code, 'Procfile'), 'worker: sleep 100000\n')
  const env = {...process.env, HOME: temp, NO_COLOR: '1'}
  for (const key of Object.keys(env)) if (key.startsWith('TUG_') || key.startsWith('HEROKU_')) delete env[key]
  const serverArgs = ['server', '--port', '0', '--rendezvous-port', '0', '--router-port', '0', '--data-dir', dataDir, ...(kind === 'operator' ? ['--addons-postgres-url', adminUrl] : [])]
  const server = spawn(process.execPath, [bin, ...serverArgs], {env, detached: true, stdio: ['ignore', 'pipe', 'pipe']})
  let output = ''
  server.stdout.setEncoding('utf8').on('data', (chunk) => (output += chunk))
  server.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk))
  let tugEnv = env
  const tug = (...args) => run(process.execPath, [bin, ...args], tugEnv)
  try {
    const deadline = Date.now() + 30_000
    while (!/listening on (http:\S+)/.test(output)) {
      if (server.exitCode !== null || Date.now() > deadline) throw new Error(`tug server did not start:\n${output}`)
      await sleep(20)
    }
    tugEnv = {...env, TUG_API_URL: /listening on (http:\S+)/.exec(output)[1], TUG_API_KEY: readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()}
    await tug('apps:create', 'bench', '--no-remote')
    await tug('deploy', code, '-a', 'bench')

    const firstQuery = async () => {
      const start = performance.now()
      await tug('addons:create', 'postgresql', '-a', 'bench')
      const answer = await tug('run', '-a', 'bench', '--', `psql "$DATABASE_URL" -tAc 'select 1'`)
      const elapsed = performance.now() - start
      if (answer.trim() !== '1') throw new Error(`the dyno's query answered ${JSON.stringify(answer)}`)
      await tug('addons:destroy', 'DATABASE', '-a', 'bench', '--confirm', 'bench')
      return elapsed
    }
    let initdbMs
    if (kind === 'embedded') initdbMs = await firstQuery()
    const clusterDir = join(dataDir, 'addons', 'postgres')
    const parsed = new URL(adminUrl)
    const target =
      kind === 'operator'
        ? {host: parsed.hostname, port: Number(parsed.port || 5432), user: decodeURIComponent(parsed.username) || 'postgres', password: decodeURIComponent(parsed.password)}
        : {host: '127.0.0.1', port: Number(readFileSync(join(clusterDir, 'port'), 'utf8')), user: 'postgres', password: readFileSync(join(clusterDir, 'superuser-password'), 'utf8').trim()}
    const tugTimes = []
    const bareTimes = []
    for (let trial = 0; trial < trials; trial++) {
      tugTimes.push(await firstQuery())
      bareTimes.push(await bare(target, trial))
    }
    return {tugMs: median(tugTimes), bareMs: median(bareTimes), initdbMs}
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : error}\n${output}`)
  } finally {
    try {
      process.kill(-server.pid, 'SIGTERM')
    } catch {
      // gone
    }
    const deadline = Date.now() + 40_000
    while (server.exitCode === null && server.signalCode === null && Date.now() < deadline) await sleep(100)
    rmSync(temp, {recursive: true, force: true})
  }
}

console.log(`add-ons: tug addons:create postgresql to a dyno's first query, and bare createuser + createdb + psql on the same server; median of ${trials}`)
for (const kind of ['operator', 'embedded']) {
  if (kind === 'embedded' && !existsSync('/usr/lib/postgresql')) {
    console.log('embedded cluster: skipped (PostgreSQL binaries not installed)')
    continue
  }
  const {tugMs, bareMs, initdbMs} = await measure(kind)
  const label = kind === 'operator' ? 'operator server' : 'embedded cluster'
  if (initdbMs !== undefined) console.log(`${label}: first create, with initdb: ${seconds(initdbMs)} s`)
  console.log(`${label}: tug addons:create to first query: ${seconds(tugMs)} s`)
  console.log(`${label}: bare createuser + createdb + psql: ${seconds(bareMs)} s`)
  console.log(`${label}: ratio ${(tugMs / bareMs).toFixed(1)}x`)
}
