#!/usr/bin/env node
// `npm run bench`: runs every benchmark in bench/ several times and writes bench/RESULTS.md with
// the machine it ran on, each figure's median and spread (min–max) over the runs, and the target
// beside it where an issue set one.
//
//   node scripts/bench.js [--runs 3] [--only cli-startup,router] [--quick] [--out bench/RESULTS.md]
//
// The runs are interleaved (every benchmark once, then every one again...), so that a change in
// the machine's load touches all of them alike rather than one benchmark's every run. Each
// benchmark's full output is kept in bench/out/ (not committed). A benchmark that is not there
// (yet) is listed as missing; one that fails is reported with its exit status, and the others
// still run. --quick shortens every benchmark, to check this script rather than the machine.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {cpus, loadavg, release, totalmem, type} from 'node:os'
import {join, relative, resolve} from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

const argv = process.argv.slice(2)
function option(name, fallback) {
  const index = argv.indexOf(`--${name}`)
  return index === -1 ? fallback : argv[index + 1]
}
const runs = Number(option('runs', '3'))
const quick = argv.includes('--quick')
const only = option('only', '')
  .split(',')
  .filter(Boolean)
const out = resolve(root, option('out', join('bench', 'RESULTS.md')))
if (!Number.isInteger(runs) || runs < 1) {
  console.error('usage: node scripts/bench.js [--runs N] [--only NAME,NAME] [--quick] [--out FILE]')
  process.exit(2)
}

const num = (text) => Number(String(text).replaceAll(',', ''))

/** First capture group of `re` in `text` as a number, or NaN. */
function grab(text, re) {
  const match = re.exec(text)
  return match ? num(match[1]) : Number.NaN
}

/** bench/run --json prints {median_ms, min_ms, max_ms, ...}; the target (issue 6) is tug's own path. */
function runFigures(label, withTarget, suffix = '') {
  return (text) => {
    const line = text.split('\n').find((l) => l.startsWith('{'))
    const data = line ? JSON.parse(line) : {}
    const value = typeof data.median_ms === 'number' ? data.median_ms : grab(text, /median ([\d.]+) ms/)
    const figures = [{label: label + suffix, unit: 'ms', value, ...(withTarget ? {target: ['<', 400, '< 400 ms (issue 6)']} : {})}]
    if (withTarget && typeof data.ratio_to_version === 'number') {
      figures.push({label: `ratio \`tug run -- true\` / \`tug --version\`, same run${suffix}`, unit: 'x', value: data.ratio_to_version, target: ['<=', 3, '≤ 3x `tug --version` (issue 19)']})
    }
    return figures
  }
}

/** bench/cli-startup --json: `tug --version` against `node -e 0`, and each command against a bare node:http script making the same request, in pairs (issue 19). */
function cliStartupFigures(suffix) {
  return (text) => {
    const line = text.split('\n').find((l) => l.startsWith('{'))
    const data = line ? JSON.parse(line) : {}
    return [
      {label: `\`tug --version\`${suffix}`, unit: 'ms', value: data.tugMs},
      {label: `\`node -e 0\`${suffix}`, unit: 'ms', value: data.nodeMs},
      {label: `ratio tug / node${suffix}`, unit: 'x', value: data.ratio, target: ['<=', 3, '≤ 3x `node -e 0` (issue 2)']},
      ...(data.commands ?? []).map((c) => ({label: `ratio \`${c.command}\` / bare node:http request${suffix}`, unit: 'x', value: c.ratio, target: ['<=', c.target, `≤ ${c.target}x (issue 19)`]})),
    ]
  }
}

/**
 * Each benchmark: the file it runs, its arguments (a normal run and a --quick one), and the figures
 * read from its output. `target` is [comparison, value, as written in the issue].
 */
const BENCHMARKS = [
  {
    name: 'cli-startup',
    file: 'bench/cli-startup',
    args: ['-n', '15', '--json'],
    quickArgs: ['-n', '3', '--json'],
    figures: cliStartupFigures(''),
  },
  {
    // NODE_EXTRA_CA_CERTS (set on some machines, this project's among them) makes every node start
    // parse a CA bundle: ~100 ms, which tug and the bare request both pay, so it flatters the
    // ratios. Without it is what a machine without the variable sees.
    name: 'cli-startup-no-extra-ca',
    file: 'bench/cli-startup',
    args: ['-n', '15', '--json'],
    quickArgs: ['-n', '3', '--json'],
    unsetEnv: ['NODE_EXTRA_CA_CERTS'],
    figures: cliStartupFigures(', without NODE_EXTRA_CA_CERTS'),
  },
  {
    name: 'api',
    file: 'bench/api',
    args: ['--duration', '5'],
    quickArgs: ['--duration', '1'],
    figures(text) {
      const row = (method) => new RegExp(`^${method}\\s+/apps/\\{app\\}/formation.*?(\\d+) req/s\\s+p50 ([\\d.]+) ms\\s+p99 ([\\d.]+) ms`, 'm').exec(text)
      const figures = []
      for (const method of ['GET', 'PATCH']) {
        const match = row(method)
        figures.push(
          {label: `${method} /apps/{app}/formation, 16 in flight`, unit: 'req/s', value: match ? num(match[1]) : Number.NaN},
          {label: `${method} /apps/{app}/formation p50`, unit: 'ms', value: match ? num(match[2]) : Number.NaN},
          {label: `${method} /apps/{app}/formation p99`, unit: 'ms', value: match ? num(match[3]) : Number.NaN},
        )
      }
      return figures
    },
  },
  {
    name: 'scale',
    file: 'bench/scale',
    args: ['--dynos', '50'],
    quickArgs: ['--dynos', '5'],
    figures(text) {
      // bench/scale measures without the dyno sandbox, then with it where it works here.
      const dynos = grab(text, /ps:scale web=(\d+) without/)
      const figures = []
      for (const mode of ['without', 'with']) {
        figures.push(
          {label: `\`ps:scale web=${Number.isNaN(dynos) ? 'N' : dynos}\` to all up, ${mode} the sandbox`, unit: 's', value: grab(text, new RegExp(`web=\\d+ ${mode} the sandbox: all \\d+ up in ([\\d.]+) s`))},
          {label: `\`ps:scale web=0\` to no dyno process left, ${mode} the sandbox`, unit: 's', value: grab(text, new RegExp(`web=0 ${mode} the sandbox: no dyno process left in ([\\d.]+) s`))},
        )
      }
      figures.push({label: 'time to all up the sandbox adds', unit: '%', value: grab(text, /the sandbox adds (\d+) %/), target: ['<=', 25, '≤ 25% (issue 14)']})
      return figures
    },
  },
  {
    name: 'logs',
    file: 'bench/logs',
    // A flat-out trial (it overflows the reader by design), then paced trials climbing from
    // 250,000 lines/s until one loses a line, then two bisecting: ~2 min a run, so at most two runs.
    args: ['--seconds', '10', '--trials', '2'],
    maxRuns: 2,
    quickArgs: ['--seconds', '3', '--trials', '1', '--skip-flood', '--skip-memory'],
    figures(text) {
      return [
        {
          label: 'dyno stdout → `logs --tail` stdout, nothing lost',
          unit: 'lines/s',
          value: grab(text, /=> ([\d,]+) lines\/s end to end/),
          target: ['>=', 1_000_000, '≥ 1,000,000 lines/s (issue 19; issue 5 asked 100,000)'],
        },
        {label: 'first rate that lost a line', unit: 'lines/s', value: grab(text, /=> first lossy rate: ([\d,]+)\/s/)},
        {label: 'the same generator into a bare pipe, same reader (reference)', unit: 'lines/s', value: grab(text, /raw pipe, the same generator.*?: ([\d,]+) lines\/s/)},
        {label: 'delay dyno write → client read, median (100 lines/s)', unit: 'ms', value: grab(text, /delay, dyno write.*?median ([\d.]+) ms/)},
        {label: 'delay dyno write → client read, p99 (100 lines/s)', unit: 'ms', value: grab(text, /delay, dyno write.*?p99 ([\d.]+) ms/), target: ['<', 5, '< 5 ms (issue 19)']},
        {label: 'router heap, 100 apps at full history', unit: 'MB', value: grab(text, /router heap, 100 apps.*?: ([\d.]+) MB \(/)},
      ]
    },
  },
  {
    name: 'logs-router',
    file: 'bench/logs-router.js',
    args: ['--seconds', '5'],
    quickArgs: ['--seconds', '1', '--skip-persist'],
    figures(text) {
      return [
        {label: 'log router core → one subscriber, in memory', unit: 'lines/s', value: grab(text, /memory only: ([\d,]+) lines\/s/)},
        {label: 'log router core → one subscriber, persisted', unit: 'lines/s', value: grab(text, /persisted: ([\d,]+) lines\/s/)},
        {label: 'log router core delay, p99 (1000 lines/s)', unit: 'ms', value: grab(text, /delay write -> subscriber.*?p99 ([\d.]+) ms/)},
        {label: 'log router heap, 100 apps at full history', unit: 'MB', value: grab(text, /heap with 100 apps.*?: ([\d.]+) MB \(/)},
      ]
    },
  },
  {
    name: 'router',
    file: 'bench/router',
    args: ['--seconds', '5'],
    quickArgs: ['--seconds', '1'],
    figures(text) {
      const direct = /^direct\s+([\d,.]+) req\/s\s+p50\s+([\d.]+) ms\s+p99\s+([\d.]+) ms/m.exec(text)
      const routed = /^router\s+([\d,.]+) req\/s\s+p50\s+([\d.]+) ms\s+p99\s+([\d.]+) ms/m.exec(text)
      return [
        {label: 'direct to one dyno, 8 in flight', unit: 'req/s', value: direct ? num(direct[1]) : Number.NaN},
        {label: 'through the router, 8 in flight', unit: 'req/s', value: routed ? num(routed[1]) : Number.NaN},
        {label: 'through a bare Node.js proxy (reference), 8 in flight', unit: 'req/s', value: grab(text, /^node-proxy\s+([\d,.]+) req\/s/m)},
        // Only when nginx / HAProxy are installed (apt-get install nginx-light haproxy).
        {label: 'nginx (reference, C) throughput / direct', unit: '%', value: grab(text, /^reference\s+nginx .*?keeps ([\d.]+)% of direct/m)},
        {label: 'HAProxy (reference, C) throughput / direct', unit: '%', value: grab(text, /^reference\s+haproxy .*?keeps ([\d.]+)% of direct/m)},
        {label: 'router throughput / direct', unit: '%', value: grab(text, /^reference\s+router\s+keeps ([\d.]+)% of direct/m)},
        {label: 'router throughput / nginx, same run', unit: '%', value: grab(text, /^ratio\s+router \/ nginx ([\d.]+)%/m), target: ['>=', 90, '≥ 90% of nginx (issue 19)']},
        {label: "router throughput / nginx doing the router's job (nginx-job), same run", unit: '%', value: grab(text, /^ratio\s+router \/ nginx-job ([\d.]+)%/m)},
        {label: "nginx doing the router's job / nginx as a bare proxy, same run", unit: '%', value: grab(text, /^ratio\s+nginx-job \/ nginx ([\d.]+)%/m)},
        {label: 'p99 added by the router', unit: 'ms', value: grab(text, /p99 \+(-?[\d.]+) ms/), target: ['<', 1, '< 1 ms (issue 19)']},
      ]
    },
  },
  {
    name: 'build',
    file: 'bench/build',
    args: ['--trials', '3'],
    quickArgs: ['--trials', '1'],
    figures(text) {
      const figures = []
      for (const kind of ['cold', 'warm']) {
        figures.push(
          {label: `bare \`npm ci\` of examples/node-app, ${kind}`, unit: 's', value: grab(text, new RegExp(`^bare npm ci, ${kind}: ([\\d.]+) s`, 'm'))},
          {label: `\`tug deploy\` of examples/node-app, ${kind} build cache`, unit: 's', value: grab(text, new RegExp(`^tug deploy, ${kind}: ([\\d.]+) s`, 'm'))},
          {label: `tug / bare \`npm ci\`, ${kind}`, unit: 'x', value: grab(text, new RegExp(`^ratio ${kind}: ([\\d.]+)x`, 'm'))},
          {
            label: `tug / (1.15 x bare \`npm ci\` + 1 s), ${kind}`,
            unit: 'x',
            value: grab(text, new RegExp(`^share of the target ${kind}: ([\\d.]+)`, 'm')),
            target: ['<=', 1, '≤ 1 (≤ 1.15x `npm ci` + 1 s, issue 15)'],
          },
        )
      }
      return figures
    },
  },
  {
    name: 'addons',
    file: 'bench/addons',
    args: ['--trials', '3'],
    quickArgs: ['--trials', '1'],
    figures(text) {
      const figures = []
      for (const label of ['operator server', 'embedded cluster']) {
        figures.push(
          {label: `\`tug addons:create postgresql\` to a dyno's first query, ${label}`, unit: 's', value: grab(text, new RegExp(`^${label}: tug addons:create to first query: ([\\d.]+) s`, 'm'))},
          {label: `bare createuser + createdb + psql, ${label}`, unit: 's', value: grab(text, new RegExp(`^${label}: bare createuser \\+ createdb \\+ psql: ([\\d.]+) s`, 'm'))},
          {label: `tug / bare, ${label}`, unit: 'x', value: grab(text, new RegExp(`^${label}: ratio ([\\d.]+)x`, 'm'))},
        )
      }
      figures.push({label: 'first create on the embedded cluster, with initdb', unit: 's', value: grab(text, /^embedded cluster: first create, with initdb: ([\d.]+) s/m)})
      return figures
    },
  },
  {
    name: 'local',
    file: 'bench/local.mjs',
    args: ['--rounds', '2'],
    quickArgs: ['--rounds', '1', '--lines', '200000'],
    figures(text) {
      const line = text.split('\n').find((l) => l.startsWith('{'))
      const data = line ? JSON.parse(line) : {}
      const tug = data.tug ?? {}
      const nf = data.foreman ?? {}
      return [
        {label: '`tug local`: lines lost of 2,000,000', unit: 'lines', value: tug.lost, target: ['<=', 0, '0 lost (issue 20)']},
        {label: '`tug local`: lines/s over the stream', unit: 'lines/s', value: tug.streamRate},
        {label: '`nf start` (node-foreman): lines lost', unit: 'lines', value: nf.lost},
        {label: '`nf start` (node-foreman): lines/s over the stream', unit: 'lines/s', value: nf.streamRate},
        {label: 'tug local / nf start, lines/s', unit: 'x', value: tug.streamRate && nf.streamRate ? tug.streamRate / nf.streamRate : undefined, target: ['>=', 1, "≥ foreman's rate (issue 20)"]},
      ]
    },
  },
  {
    name: 'k8s',
    file: 'bench/k8s.mjs',
    args: ['--dynos', '50', '--trials', '3'],
    quickArgs: ['--dynos', '10', '--trials', '1'],
    figures(text) {
      return [
        {label: 'Kubernetes (fake API server): `tug ps:scale web=50` to the scale request, CLI start included', unit: 'ms', value: grab(text, /-> scale request at the API server:\s+([\d.]+) ms/)},
        {label: 'Kubernetes: PATCH /formation to the scale request', unit: 'ms', value: grab(text, /formation -> scale request:\s+([\d.]+) ms/)},
        {label: 'Kubernetes: last pod Ready event to the API showing 50 up', unit: 'ms', value: grab(text, /API shows \d+ up:\s+([\d.]+) ms/)},
      ]
    },
  },
  {
    name: 'run',
    file: 'bench/run',
    args: ['-n', '15', '--json'],
    quickArgs: ['-n', '3', '--json'],
    figures: runFigures('`tug run -- true`, start to exit (tug-attach/1)', true),
  },
  {
    // As cli-startup-no-extra-ca: the CA bundle's ~100 ms on both sides flatters the ratio.
    name: 'run-no-extra-ca',
    file: 'bench/run',
    args: ['-n', '15', '--json'],
    quickArgs: ['-n', '3', '--json'],
    unsetEnv: ['NODE_EXTRA_CA_CERTS'],
    figures: runFigures('`tug run -- true`, start to exit (tug-attach/1)', true, ', without NODE_EXTRA_CA_CERTS'),
  },
  {
    name: 'run-rendezvous',
    file: 'bench/run',
    args: ['-n', '15', '--json', '--rendezvous'],
    quickArgs: ['-n', '3', '--json', '--rendezvous'],
    figures: runFigures('`tug run -- true`, start to exit (rendezvous, as Heroku)', false),
  },
]

const selected = BENCHMARKS.filter((b) => only.length === 0 || only.includes(b.name))
const present = selected.filter((b) => existsSync(join(root, b.file)))
const missing = selected.filter((b) => !existsSync(join(root, b.file)))

spawnSync(process.execPath, [join(root, 'scripts', 'build.js'), '--if-needed'], {cwd: root, stdio: 'inherit'})
mkdirSync(join(root, 'bench', 'out'), {recursive: true})

const loadBefore = loadavg()
const started = new Date()
const results = new Map(present.map((b) => [b.name, {runs: [], failures: [], seconds: []}]))
for (let round = 1; round <= runs; round++) {
  for (const bench of present) {
    if (round > (bench.maxRuns ?? runs)) continue
    const args = quick ? bench.quickArgs : bench.args
    process.stderr.write(`[bench ${round}/${runs}] ${bench.file} ${args.join(' ')}\n`)
    const t0 = performance.now()
    const env = {...process.env}
    for (const name of bench.unsetEnv ?? []) delete env[name]
    const run = spawnSync(process.execPath, [join(root, bench.file), ...args], {cwd: root, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 5 * 60_000})
    const seconds = (performance.now() - t0) / 1000
    const text = `${run.stdout ?? ''}`
    writeFileSync(join(root, 'bench', 'out', `${bench.name}.${round}.txt`), `$ node ${bench.file} ${args.join(' ')}\n${text}${run.stderr ? `\n[stderr]\n${run.stderr}` : ''}`)
    const entry = results.get(bench.name)
    entry.seconds.push(seconds)
    if (run.status !== 0) {
      entry.failures.push(`run ${round}: exit status ${run.status ?? run.signal}${run.error ? ` (${run.error.message})` : ''}`)
    }
    let figures = []
    try {
      figures = bench.figures(text)
    } catch (error) {
      entry.failures.push(`run ${round}: output not understood (${error.message})`)
    }
    entry.runs.push(figures)
    process.stderr.write(`  ${seconds.toFixed(1)} s: ${figures.map((f) => `${f.value ?? 'n/a'} ${f.unit}`).join(', ')}\n`)
  }
}
const loadAfter = loadavg()

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

function fmt(value) {
  if (value === undefined || Number.isNaN(value)) return 'n/a'
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2
  return value.toLocaleString('en', {minimumFractionDigits: digits, maximumFractionDigits: digits})
}

function meets(target, value) {
  if (!target || Number.isNaN(value)) return ''
  const [op, bound] = target
  const ok = op === '<=' ? value <= bound : op === '<' ? value < bound : op === '>=' ? value >= bound : value > bound
  return ok ? 'yes' : '**no**'
}

const cpu = cpus()
const lines = [
  '# tug benchmark results',
  '',
  `Written by \`npm run bench\` (\`scripts/bench.js\`): every benchmark in \`bench/\` run ${runs} time${runs === 1 ? '' : 's'} (fewer where "How each ran" says so), interleaved;`,
  'each figure is the median of the runs, with the spread (min–max) beside it. Targets are the',
  "issues' own; a figure with no target is reported only. Timings on a shared or busy machine vary:",
  'read the load average with them.',
  '',
  '## Machine',
  '',
  `- CPU: ${cpu[0]?.model?.trim() ?? 'unknown'}, ${cpu.length} logical cores`,
  `- Memory: ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
  `- OS: ${type()} ${release()}`,
  `- Node: ${process.version}`,
  `- Date: ${started.toISOString().replace(/\.\d+Z$/, 'Z')} (took ${((Date.now() - started.getTime()) / 60_000).toFixed(1)} min)`,
  `- Load average (1, 5, 15 min): ${loadBefore.map((l) => l.toFixed(2)).join(', ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(', ')} after`,
  ...(quick ? ['- **--quick**: shortened benchmarks, to check the runner, not the machine'] : []),
  '',
  '## Figures',
  '',
  '| benchmark | figure | median | min–max | unit | target | met |',
  '|---|---|---:|---:|---|---|---|',
]
for (const bench of present) {
  const entry = results.get(bench.name)
  const first = entry.runs.find((r) => r.length > 0) ?? []
  for (const [index, figure] of first.entries()) {
    const values = entry.runs.map((r) => r[index]?.value).filter((v) => typeof v === 'number' && !Number.isNaN(v))
    const mid = values.length > 0 ? median(values) : Number.NaN
    const spread = values.length > 0 ? `${fmt(Math.min(...values))}–${fmt(Math.max(...values))}` : 'n/a'
    const runsNote = values.length === entry.runs.length ? '' : ` (${values.length} of ${entry.runs.length} runs)`
    lines.push(`| ${bench.name} | ${figure.label}${runsNote} | ${fmt(mid)} | ${spread} | ${figure.unit} | ${figure.target?.[2] ?? '—'} | ${meets(figure.target, mid)} |`)
  }
  if (first.length === 0) lines.push(`| ${bench.name} | (no figures: see below) | n/a | n/a | | | |`)
}
lines.push('', '## How each ran', '')
for (const bench of present) {
  const entry = results.get(bench.name)
  const args = quick ? bench.quickArgs : bench.args
  const times = entry.seconds.map((s) => `${s.toFixed(0)} s`).join(', ')
  const unset = (bench.unsetEnv ?? []).map((name) => `-u ${name} `).join('')
  lines.push(`- \`${unset ? `env ${unset}` : ''}node ${bench.file}${args.length ? ` ${args.join(' ')}` : ''}\`: ${entry.runs.length} runs (${times})${entry.failures.length ? `; **${entry.failures.join('; ')}**` : ''}`)
}
for (const bench of missing) lines.push(`- \`${bench.file}\`: not in this checkout when the report was made`)
lines.push('', `Full outputs of the last report's runs: \`bench/out/\` (not committed).`, '')

writeFileSync(out, lines.join('\n'))
process.stdout.write(`${lines.slice(lines.indexOf('## Figures')).join('\n')}\nWrote ${relative(root, out)}\n`)
process.exitCode = [...results.values()].some((r) => r.failures.length > 0) ? 1 : 0
