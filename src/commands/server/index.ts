import {Flags} from '@oclif/core'

import {TugCommand} from '../../lib/cli/base-command.js'
import {isAlive, probeStatus, readAdminToken, readServerInfo, removeServerInfo, resolveDataDir, writeServerInfo} from '../../lib/cli/local-server.js'
import {postgresUrl} from '../../lib/addons/postgres-url.js'
import {RuntimeError, UsageError} from '../../lib/errors.js'

const SANDBOX_HINT = 'Install bubblewrap (apt-get install bubblewrap) and run tug server as root, or pass --no-sandbox to run apps you trust without it.'

export default class Server extends TugCommand<void> {
  static override description = 'run a tug control plane in the foreground'

  // SIGINT and SIGTERM stop the control plane gracefully (its dynos, then the server).
  static override handlesSignals = true

  static override examples = [
    '<%= config.bin %> server',
    '<%= config.bin %> server --port 0 --data-dir /tmp/tug',
    '<%= config.bin %> server --host 0.0.0.0 --port 8080',
    '<%= config.bin %> server --router-port 8000 --router-host 0.0.0.0 --router-domain apps.example.com',
    '<%= config.bin %> server --data-dir /srv/tug --public-url https://tug.example.com',
    '<%= config.bin %> server --backend kubernetes --kubeconfig ~/.kube/config --slug-url-base http://10.0.0.5:5055',
  ]

  static override enableJsonFlag = false

  static override flags = {
    host: Flags.string({description: 'address to listen on', default: '127.0.0.1'}),
    port: Flags.integer({description: 'port to listen on (0 picks a free one)', default: 5055, min: 0, max: 65_535}),
    'data-dir': Flags.string({description: 'where the database, sources and releases live [default: $TUG_HOME or ~/.local/share/tug]'}),
    'router-port': Flags.integer({description: "port of the HTTP router to the apps' web dynos, http://<app>.localhost:PORT (0 picks a free one)", default: 5080, min: 0, max: 65_535, env: 'TUG_ROUTER_PORT'}),
    'router-host': Flags.string({description: 'address the router listens on', default: '127.0.0.1'}),
    'router-domain': Flags.string({description: 'also route <app>.DOMAIN (repeatable)', multiple: true}),
    'rendezvous-port': Flags.integer({description: 'TLS port for attaching to one-off dynos the Heroku way, rendezvous://HOST:PORT (0 picks a free one)', default: 5056, min: 0, max: 65_535, env: 'TUG_RENDEZVOUS_PORT'}),
    'rendezvous-host': Flags.string({description: 'address the rendezvous listener listens on', default: '127.0.0.1'}),
    'fallback-ports': Flags.boolean({
      description: 'take any free port for the router or rendezvous listener whose port is in use (the embedded control plane does)',
      hidden: true,
    }),
    sandbox: Flags.boolean({
      description: "run every process of an app in a bubblewrap sandbox (needs root and bubblewrap); --no-sandbox runs them as the control plane's own user, for apps you trust",
      default: true,
      allowNo: true,
    }),
    'sandbox-if-available': Flags.boolean({
      description: 'use the sandbox only when bubblewrap works here, and say why not otherwise (the embedded control plane does)',
      hidden: true,
    }),
    'allow-private-drains': Flags.boolean({
      description: 'let log drains send to loopback, link-local and private addresses (a listener on this machine or the local network); by default they reach public addresses only',
      env: 'TUG_ALLOW_PRIVATE_DRAINS',
    }),
    'allow-private-buildpacks': Flags.boolean({
      description: 'let builds fetch buildpacks (https tarballs, git URLs) from loopback, link-local and private addresses (a git server on the local network); by default only from public addresses',
      env: 'TUG_ALLOW_PRIVATE_BUILDPACKS',
    }),
    'public-url': Flags.string({
      description: 'the URL clients reach the API at, behind a proxy (log, upload and build-output URLs are built on it) [default: the listen address]',
      env: 'TUG_PUBLIC_URL',
    }),
    'addons-postgres-url': Flags.string({
      description: "a PostgreSQL server for postgresql add-ons, as a superuser's URL (postgres://postgres@127.0.0.1:5432/postgres) [default: a cluster tug runs itself in the data directory]",
      env: 'TUG_ADDONS_POSTGRES_URL',
    }),
    'keep-releases': Flags.integer({
      description: "releases per app whose code stays on disk; older code is deleted, and a rollback to it asks for a new deploy",
      default: 10,
      min: 1,
      env: 'TUG_KEEP_RELEASES',
    }),
    'build-timeout': Flags.integer({
      description: 'seconds a build may run; a longer one is killed and fails, and the current release stays (Heroku: 15 minutes)',
      default: 900,
      min: 1,
      env: 'TUG_BUILD_TIMEOUT',
    }),
    backend: Flags.string({description: 'where dynos run: local processes, or pods of a Kubernetes cluster', options: ['local', 'kubernetes'], default: 'local', env: 'TUG_BACKEND'}),
    kubeconfig: Flags.string({description: 'with --backend kubernetes: the kubeconfig file to reach the cluster with [default: the in-cluster service account]', helpValue: 'FILE'}),
    'namespace-prefix': Flags.string({description: "with --backend kubernetes: each app's namespace is PREFIX<app> [default: tug-]", helpValue: 'PREFIX'}),
    'stack-image': Flags.string({description: 'with --backend kubernetes: the image pods run (needs bash, curl and tar) [default: heroku/heroku:24]', helpValue: 'IMAGE'}),
    'slug-url-base': Flags.string({description: "with --backend kubernetes: the control plane's address as pods reach it, for their code [default: the API's URL]", helpValue: 'URL'}),
    'max-slug-size': Flags.integer({
      description: "largest slug in MB: a build whose result is bigger fails (Heroku's limit is 500)",
      default: 500,
      min: 1,
      env: 'TUG_MAX_SLUG_SIZE',
    }),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Server)
    const env = this.io.env
    const dataDir = resolveDataDir(flags['data-dir'], env, this.io.cwd())
    const publicUrl = flags['public-url']
    if (publicUrl !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(publicUrl)) {
      throw new UsageError(`--public-url must be an http:// or https:// URL with no path, got ${JSON.stringify(publicUrl)}.`, {
        hint: 'For example --public-url https://tug.example.com (the address your TLS proxy serves the API at).',
      })
    }

    const kubernetes = kubernetesOptions(flags)

    const existing = readServerInfo(dataDir)
    if (existing && existing.pid !== process.pid && isAlive(existing.pid) && (await probeStatus(existing.url, readAdminToken(dataDir) ?? '')) !== 'down') {
      throw new UsageError(`A tug server is already running on ${dataDir} (pid ${existing.pid}, ${existing.url}).`, {
        hint: 'Stop it with `tug server:stop`, or pass another --data-dir.',
      })
    }

    // The embedded control plane of a second $TUG_HOME: with the router's port taken by another
    // control plane, its apps' web URLs would lead to the other one's apps of the same name.
    let routerPort = flags['router-port']
    let rendezvousPort = flags['rendezvous-port']
    if (flags['fallback-ports']) {
      if (routerPort !== 0 && (await portInUse(flags['router-host'], routerPort))) routerPort = 0
      if (rendezvousPort !== 0 && (await portInUse(flags['rendezvous-host'], rendezvousPort))) rendezvousPort = 0
    }

    const {startServer, describeFileLimit, checkSandbox} = await import('../../server/index.js')
    let sandbox = flags.sandbox && kubernetes === undefined
    let sandboxNote: string | undefined = kubernetes === undefined ? undefined : 'dynos run as pods of the cluster'
    if (sandbox) {
      const check = await checkSandbox()
      if (!check.ok && !flags['sandbox-if-available']) {
        throw new RuntimeError(`Cannot run apps in the sandbox: ${check.reason}.`, {hint: SANDBOX_HINT})
      }
      if (!check.ok) {
        sandbox = false
        sandboxNote = `Apps run without the sandbox: ${check.reason}. ${SANDBOX_HINT}`
      }
    }
    let server: Awaited<ReturnType<typeof startServer>>
    try {
      server = await startServer({
        dataDir,
        host: flags.host,
        port: flags.port,
        router: {host: flags['router-host'], port: routerPort, domains: flags['router-domain'] ?? []},
        rendezvous: {host: flags['rendezvous-host'], port: rendezvousPort},
        keepReleases: flags['keep-releases'],
        buildTimeoutSeconds: flags['build-timeout'],
        maxSlugMegabytes: flags['max-slug-size'],
        ...(publicUrl === undefined ? {} : {publicUrl}),
        ...(flags['allow-private-drains'] ? {drains: {allowPrivate: true}} : {}),
        ...(flags['allow-private-buildpacks'] ? {allowPrivateBuildpacks: true} : {}),
        sandbox,
        ...(flags['addons-postgres-url'] === undefined ? {} : {addons: {postgresUrl: postgresUrl(flags['addons-postgres-url'])}}),
        ...(kubernetes === undefined ? {} : {kubernetes}),
      })
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
        throw new UsageError(`Cannot listen on ${flags.host}:${flags.port} (${code}).`, {
          hint: code === 'EADDRINUSE' ? 'Another process uses that port: pass --port with another one, or --port 0 for any free port.' : 'Pass another --host or --port.',
        })
      }
      if (kubernetes !== undefined) throw new RuntimeError((error as Error).message, {hint: KUBERNETES_HINT})
      throw error
    }
    // server.json is what tells other CLIs this server is ready: written only now that it listens.
    writeServerInfo(dataDir, {pid: process.pid, url: server.url, started_at: new Date().toISOString(), sandbox, ...(sandboxNote === undefined ? {} : {sandbox_note: sandboxNote})})
    // One write, so that whoever reads the first line (tests, scripts) has the rest too.
    this.out(
      [
        `tug server listening on ${server.url}`,
        ...(publicUrl === undefined ? [] : [`Public URL:     ${publicUrl}`]),
        `Data directory: ${dataDir}`,
        `Admin token:    ${server.adminTokenPath}`,
        ...(kubernetes === undefined ? [] : [`Backend:        kubernetes (${kubernetes.kubeconfig ?? 'in-cluster'}; namespaces ${kubernetes.namespacePrefix ?? 'tug-'}<app>; builds run no buildpack: deploy code with a Procfile)`]),
        `Sandbox:        ${kubernetes !== undefined ? 'not used: dynos run as pods of the cluster' : sandbox ? 'on (bubblewrap)' : `off: apps run as this user and can read the data directory (${sandboxNote === undefined ? '--no-sandbox' : 'bubblewrap does not work here'})`}`,
        `Descriptors:    ${describeFileLimit(server.fileLimit, server.connectionCaps)}`,
        server.routerPort === undefined ? `Router:         not started (${server.routerError ?? 'disabled'})` : `Router:         http://<app>.localhost:${server.routerPort}/`,
        server.rendezvousPort === undefined
          ? `Rendezvous:     not started (${server.rendezvousError ?? 'disabled'})`
          : `Rendezvous:     rendezvous://${flags['rendezvous-host']}:${server.rendezvousPort} (CA file: ${server.rendezvousCaFile ?? ''})`,
        ...(flags['allow-private-drains'] ? ['Log drains:     may send to private addresses too (--allow-private-drains)'] : []),
        ...(flags['allow-private-buildpacks'] ? ['Buildpacks:     may be fetched from private addresses too (--allow-private-buildpacks)'] : []),
        `Use it with:    export TUG_API_URL=${server.url} TUG_API_KEY=$(cat ${server.adminTokenPath})`,
      ].join('\n'),
    )

    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      const stop = (received: NodeJS.Signals) => {
        process.off('SIGTERM', stop)
        process.off('SIGINT', stop)
        resolve(received)
      }
      process.on('SIGTERM', stop)
      process.on('SIGINT', stop)
    })
    this.info(`Received ${signal}, stopping...`)
    // A second signal (an impatient Ctrl-C) stops at once; what the API acknowledged is already
    // committed, so only in-flight work is cut short.
    const force = (received: NodeJS.Signals) => {
      removeServerInfo(dataDir, process.pid)
      this.info(`Received ${received} again, exiting without waiting.`)
      process.exit(1)
    }
    process.once('SIGTERM', force)
    process.once('SIGINT', force)
    try {
      await server.close()
    } finally {
      removeServerInfo(dataDir, process.pid)
      process.off('SIGTERM', force)
      process.off('SIGINT', force)
    }
    this.info('Stopped.')
  }
}

const KUBERNETES_HINT = 'Check --kubeconfig (its current context, server and credentials), or run tug server in a pod of the cluster with a service account.'
const KUBERNETES_FLAGS = ['kubeconfig', 'namespace-prefix', 'stack-image', 'slug-url-base'] as const

/** The Kubernetes options, or undefined for the local backend; its flags without --backend kubernetes are an error. */
function kubernetesOptions(flags: {backend: string} & Partial<Record<(typeof KUBERNETES_FLAGS)[number], string>>): {kubeconfig?: string; namespacePrefix?: string; stackImage?: string; slugUrlBase?: string} | undefined {
  if (flags.backend !== 'kubernetes') {
    const given = KUBERNETES_FLAGS.filter((name) => flags[name] !== undefined)
    if (given.length > 0) throw new UsageError(`--${given.join(', --')} only apply to --backend kubernetes.`, {hint: 'Add --backend kubernetes, or leave them out to run dynos as local processes.'})
    return undefined
  }
  const slugUrlBase = flags['slug-url-base']
  if (slugUrlBase !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(slugUrlBase)) {
    throw new UsageError(`--slug-url-base must be an http:// or https:// URL with no path, got ${JSON.stringify(slugUrlBase)}.`, {hint: 'For example --slug-url-base http://tug.tug-system.svc:5055 (how pods reach the control plane).'})
  }
  return {
    ...(flags.kubeconfig === undefined ? {} : {kubeconfig: flags.kubeconfig}),
    ...(flags['namespace-prefix'] === undefined ? {} : {namespacePrefix: flags['namespace-prefix']}),
    ...(flags['stack-image'] === undefined ? {} : {stackImage: flags['stack-image']}),
    ...(slugUrlBase === undefined ? {} : {slugUrlBase}),
  }
}

/** Whether something listens on host:port already (a probe listen, closed at once). */
async function portInUse(host: string, port: number): Promise<boolean> {
  const {createServer} = await import('node:net')
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE'))
    probe.listen({host, port, exclusive: true}, () => probe.close(() => resolve(false)))
  })
}
