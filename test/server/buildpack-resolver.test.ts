import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:https'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {LocalBuildpackResolver} from '../../src/server/builds/buildpack-resolver.js'
import {parseBuildpackUrl} from '../../src/server/builds/buildpack-url.js'
import {hasOpenssl, makeTestCert, type TestCert} from '../helpers/tls.js'

/** Writes a shell buildpack whose detect says `label`. */
function writeBuildpack(dir: string, label: string, options: {compile?: boolean; executable?: boolean} = {}): void {
  mkdirSync(join(dir, 'bin'), {recursive: true})
  const mode = options.executable === false ? 0o644 : 0o755
  writeFileSync(join(dir, 'bin', 'detect'), `#!/bin/sh\necho ${label}\n`, {mode})
  if (options.compile !== false) writeFileSync(join(dir, 'bin', 'compile'), '#!/bin/sh\necho compiling\n', {mode})
  writeFileSync(join(dir, 'bin', 'release'), '#!/bin/sh\necho "--- {}"\n', {mode: 0o755})
}

function git(args: string[], cwd?: string): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
}

describe('server/builds/buildpack-resolver', () => {
  let dir: string
  let dataDir: string
  let resolver: LocalBuildpackResolver
  let said: string[]
  const say = (line: string): void => {
    said.push(line)
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tug-bp-resolver-'))
    dataDir = join(dir, 'data')
    mkdirSync(dataDir)
    resolver = new LocalBuildpackResolver({dataDir})
    said = []
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  it('names the built-in buildpacks as Heroku does, in detection order, from the package root', () => {
    const builtins = resolver.builtins()
    assert.deepEqual(builtins.map((b) => [b.url, b.name]), [['heroku/nodejs', 'heroku/nodejs'], ['heroku/python', 'heroku/python']])
    const root = join(import.meta.dirname, '..', '..')
    assert.deepEqual(builtins.map((b) => b.dir), [join(root, 'buildpacks', 'nodejs'), join(root, 'buildpacks', 'python')])
  })

  it('resolves a built-in name without fetching', async () => {
    const bp = new LocalBuildpackResolver({dataDir, builtinsDir: join(dir, 'builtins')})
    writeBuildpack(join(dir, 'builtins', 'python'), 'Python')
    const [python] = await bp.resolve(['heroku/python'], say)
    assert.deepEqual(python, {url: 'heroku/python', name: 'heroku/python', dir: join(dir, 'builtins', 'python')})
    assert.deepEqual(said, [])
  })

  it('refuses other heroku/ names and bare words, saying which buildpacks are built in', async () => {
    for (const url of ['heroku/ruby', 'nodejs', 'http://example.com/bp.tgz', 'ftp://example.com/bp.tgz']) {
      await assert.rejects(resolver.resolve([url], say), /built-in buildpacks heroku\/nodejs and heroku\/python|https only/, url)
    }
    assert.equal(existsSync(join(dataDir, 'buildpacks')), false, 'nothing was fetched')
  })

  it('uses a local directory in place, and names what a directory lacks', async () => {
    const good = join(dir, 'good')
    writeBuildpack(good, 'Good')
    assert.deepEqual(await resolver.resolve([good, `file://${good}`], say), [
      {url: good, name: good, dir: good},
      {url: `file://${good}`, name: `file://${good}`, dir: good},
    ])

    const noCompile = join(dir, 'no-compile')
    writeBuildpack(noCompile, 'X', {compile: false})
    await assert.rejects(resolver.resolve([good, noCompile], say), (error: Error) => {
      assert.equal(error.message, `buildpack ${noCompile}: it has no bin/compile (a buildpack needs executable bin/detect and bin/compile; bin/release is optional)`)
      return true
    })
    const notExecutable = join(dir, 'not-executable')
    writeBuildpack(notExecutable, 'X', {executable: false})
    await assert.rejects(resolver.resolve([notExecutable], say), /bin\/detect and bin\/compile are not executable \(chmod \+x\)/)
    await assert.rejects(resolver.resolve([join(dir, 'nowhere')], say), /does not exist on the control plane's machine/)
    // Nothing under /proc (a dyno's /proc/<pid>/root leads into its sandbox, and from there
    // anywhere), and a path whose links cannot be followed is refused, not taken as written.
    await assert.rejects(resolver.resolve(['/proc/self'], say), /is under \/proc, which no buildpack may come from/)
    symlinkSync(join(dir, 'nowhere', 'deeper'), join(dir, 'dangling'))
    await assert.rejects(resolver.resolve([join(dir, 'dangling')], say), /does not exist on the control plane's machine \(or cannot be resolved\)/)
    // Not even a buildpack-shaped directory inside the data directory, however it is named.
    writeBuildpack(join(dataDir, 'repos', 'other'), 'Other')
    for (const url of [join(dataDir, 'repos', 'other'), `file://${dataDir}/repos/other`, `file://${dataDir}/repos/other.git`, `${dir}/good/../data/repos/other`.replace('/../', '/x/../')]) {
      await assert.rejects(resolver.resolve([url], say), /inside the control plane's data directory|without \.\.|does not exist on the control plane's machine/, url)
    }
    const empty = join(dir, 'empty')
    mkdirSync(empty)
    await assert.rejects(resolver.resolve([empty], say), /it has no bin\/detect and no bin\/compile/)
  })

  it('unpacks a file:// tarball, using its one top directory', async () => {
    writeBuildpack(join(dir, 'src', 'heroku-buildpack-x-1.0'), 'X')
    execFileSync('tar', ['-czf', join(dir, 'bp.tgz'), '-C', join(dir, 'src'), 'heroku-buildpack-x-1.0'])
    const [bp] = await resolver.resolve([`file://${dir}/bp.tgz`], say)
    assert.ok(bp)
    assert.match(bp.dir, new RegExp(`^${join(dataDir, 'buildpacks')}/[0-9a-f]{64}/[^/]+/heroku-buildpack-x-1.0$`))
    assert.equal(readFileSync(join(bp.dir, 'bin', 'detect'), 'utf8'), '#!/bin/sh\necho X\n')
    assert.equal(execFileSync(join(bp.dir, 'bin', 'detect'), {encoding: 'utf8'}), 'X\n', 'the scripts stay executable')
    assert.deepEqual(said, [`-----> Fetching buildpack file://${dir}/bp.tgz`])
  })

  it('clones a git repository (file://, with and without #ref) with git clone', async () => {
    const bare = join(dir, 'bp.git')
    git(['init', '--quiet', '--bare', '-b', 'main', bare])
    const work = join(dir, 'work')
    git(['init', '--quiet', '-b', 'main', work])
    writeBuildpack(work, 'One')
    git(['add', '.'], work)
    git(['commit', '--quiet', '-m', 'one'], work)
    const first = git(['rev-parse', 'HEAD'], work).trim()
    git(['tag', 'v1'], work)
    writeFileSync(join(work, 'bin', 'detect'), '#!/bin/sh\necho Two\n', {mode: 0o755})
    git(['commit', '--quiet', '-am', 'two'], work)
    git(['push', '--quiet', bare, 'main', 'v1'], work)

    const [head, tag, commit] = await resolver.resolve([`file://${bare}`, `file://${bare}#v1`, `file://${bare}#${first.slice(0, 10)}`], say)
    assert.equal(readFileSync(join(head?.dir ?? '', 'bin', 'detect'), 'utf8'), '#!/bin/sh\necho Two\n')
    assert.equal(readFileSync(join(tag?.dir ?? '', 'bin', 'detect'), 'utf8'), '#!/bin/sh\necho One\n')
    assert.equal(readFileSync(join(commit?.dir ?? '', 'bin', 'detect'), 'utf8'), '#!/bin/sh\necho One\n')
    assert.equal(existsSync(join(head?.dir ?? '', '.git')), false)
    assert.equal(said.length, 3)

    await assert.rejects(resolver.resolve([`file://${bare}#no-such-branch`], say), /git clone failed: .*no-such-branch/)
    await assert.rejects(resolver.resolve([`file://${join(dir, 'missing.git')}`], say), /does not exist on the control plane's machine/)
    // A failed fetch leaves nothing half-made behind.
    for (const home of readdirSync(join(dataDir, 'buildpacks'))) {
      assert.ok(readdirSync(join(dataDir, 'buildpacks', home)).every((e) => !e.endsWith('.partial')))
    }
  })

  it('fetches again at every build, removing copies older than a build can run', async () => {
    const src = join(dir, 'src')
    writeBuildpack(src, 'Old')
    execFileSync('tar', ['-czf', join(dir, 'bp.tgz'), '-C', src, '.'])
    const quick = new LocalBuildpackResolver({dataDir, keepFetchedMs: 0})
    const [first] = await quick.resolve([`file://${dir}/bp.tgz`], say)
    writeBuildpack(src, 'New')
    execFileSync('tar', ['-czf', join(dir, 'bp.tgz'), '-C', src, '.'])
    const [second] = await quick.resolve([`file://${dir}/bp.tgz`], say)
    assert.notEqual(first?.dir, second?.dir)
    assert.equal(readFileSync(join(second?.dir ?? '', 'bin', 'detect'), 'utf8'), '#!/bin/sh\necho New\n')
    assert.equal(existsSync(first?.dir ?? ''), false, 'the older copy was removed')
  })

  describe('https tarballs', function () {
    let cert: TestCert
    let server: Server
    let base: string
    const routes = new Map<string, (res: import('node:http').ServerResponse) => void>()

    before(async function () {
      if (!hasOpenssl()) this.skip()
      cert = makeTestCert()
      server = createServer({key: cert.key, cert: cert.cert}, (req, res) => {
        const route = routes.get(req.url ?? '')
        if (route) return route(res)
        res.writeHead(404).end('not found')
      })
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      base = `https://localhost:${(server.address() as AddressInfo).port}`
    })
    after(async () => {
      if (!server) return
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
      cert.remove()
    })

    it('downloads with the given CA, follows redirects, unpacks, and says so', async () => {
      writeBuildpack(join(dir, 'src', 'top'), 'Remote')
      execFileSync('tar', ['-czf', join(dir, 'bp.tgz'), '-C', join(dir, 'src'), 'top'])
      const body = readFileSync(join(dir, 'bp.tgz'))
      routes.set('/bp.tgz', (res) => res.writeHead(200, {'content-length': body.length}).end(body))
      routes.set('/latest', (res) => res.writeHead(302, {location: '/bp.tgz'}).end())
      const https = new LocalBuildpackResolver({dataDir, ca: cert.cert, allowPrivate: true})
      const [bp] = await https.resolve([`${base}/latest`], say)
      assert.equal(execFileSync(join(bp?.dir ?? '', 'bin', 'detect'), {encoding: 'utf8'}), 'Remote\n')
      assert.deepEqual(said, [`-----> Fetching buildpack ${base}/latest`])
    })

    it('reaches public addresses only, unless started with --allow-private-buildpacks (allowPrivate)', async () => {
      const https = new LocalBuildpackResolver({dataDir, ca: cert.cert})
      // localhost, as the server here is: the control plane fetches as root, beside the add-ons' servers.
      await assert.rejects(https.resolve([`${base}/bp.tgz`], say), /localhost is a loopback address: buildpacks are fetched from public addresses only; start the control plane with --allow-private-buildpacks/)
      for (const url of ['https://127.0.0.1:6379/x.tgz', 'https://10.1.2.3/x.tgz', 'git://127.0.0.1/x.git', 'ssh://git@192.168.1.1/x.git', 'https://169.254.169.254/x.git']) {
        await assert.rejects(https.resolve([url], say), /public addresses only/, url)
      }
    })

    it('refuses an untrusted certificate, an HTTP error, an oversized download, and a slow one', async () => {
      await assert.rejects(new LocalBuildpackResolver({dataDir, allowPrivate: true}).resolve([`${base}/bp.tgz`], say), /self-signed|certificate/)
      // The 1 s limit is for the slow download alone: on a loaded machine a TLS handshake may take it.
      const https = new LocalBuildpackResolver({dataDir, ca: cert.cert, maxDownloadBytes: 1000, allowPrivate: true})
      const impatient = new LocalBuildpackResolver({dataDir, ca: cert.cert, maxDownloadBytes: 1000, timeoutMs: 1000, allowPrivate: true})
      await assert.rejects(https.resolve([`${base}/missing.tgz`], say), /buildpack https:\/\/localhost:\d+\/missing.tgz: the download answered HTTP 404/)
      routes.set('/big.tgz', (res) => {
        res.writeHead(200)
        res.write(Buffer.alloc(800))
        res.end(Buffer.alloc(800))
      })
      await assert.rejects(https.resolve([`${base}/big.tgz`], say), /over the 1000-byte limit/)
      routes.set('/slow.tgz', (res) => {
        res.writeHead(200)
        res.write(Buffer.alloc(10))
      })
      await assert.rejects(impatient.resolve([`${base}/slow.tgz`], say), /took longer than 1 s/)
      routes.set('/not-a-tarball.tgz', (res) => res.writeHead(200).end('<html>hello</html>'))
      await assert.rejects(https.resolve([`${base}/not-a-tarball.tgz`], say), /not a valid tar archive|could not decompress/)
    })

    it('hides the password of a URL in what it says', async () => {
      const https = new LocalBuildpackResolver({dataDir, ca: cert.cert, allowPrivate: true})
      await assert.rejects(https.resolve([`https://me:s3cret@localhost:${new URL(base).port}/missing.tgz`], say), (error: Error) => {
        assert.doesNotMatch(error.message, /s3cret/)
        return true
      })
      assert.doesNotMatch(said.join('\n'), /s3cret/)
      assert.match(said.join('\n'), /me:\*\*\*@/)
    })
  })
})

describe('server/builds/buildpack-url', () => {
  it('reads each accepted form', () => {
    assert.deepEqual(parseBuildpackUrl('heroku/nodejs'), {kind: 'builtin', name: 'heroku/nodejs', dirName: 'nodejs'})
    assert.deepEqual(parseBuildpackUrl('/srv/bp'), {kind: 'local', path: '/srv/bp'})
    assert.deepEqual(parseBuildpackUrl('file:///srv/bp.tgz'), {kind: 'local', path: '/srv/bp.tgz'})
    assert.deepEqual(parseBuildpackUrl('https://example.com/bp.tgz'), {kind: 'tarball', url: 'https://example.com/bp.tgz'})
    assert.deepEqual(parseBuildpackUrl('https://example.com/bp.git#v2'), {kind: 'git', url: 'https://example.com/bp.git', ref: 'v2'})
    assert.deepEqual(parseBuildpackUrl('https://github.com/heroku/heroku-buildpack-go'), {kind: 'git', url: 'https://github.com/heroku/heroku-buildpack-go'})
    assert.deepEqual(parseBuildpackUrl('git://example.com/bp'), {kind: 'git', url: 'git://example.com/bp'})
    assert.deepEqual(parseBuildpackUrl('ssh://git@example.com/bp.git'), {kind: 'git', url: 'ssh://git@example.com/bp.git'})
    assert.deepEqual(parseBuildpackUrl('git@github.com:me/bp.git#main'), {kind: 'git', url: 'git@github.com:me/bp.git', ref: 'main'})
    assert.deepEqual(parseBuildpackUrl('file:///srv/bp.git#abc1234'), {kind: 'git', url: 'file:///srv/bp.git', ref: 'abc1234'})
  })

  it('refuses the rest, saying why', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty/],
      ['heroku/ruby', /tug has the built-in buildpacks heroku\/nodejs and heroku\/python; give any other as a URL/],
      ['nodejs', /built-in buildpacks/],
      ['http://example.com/bp.tgz', /plain http; tug fetches buildpacks over https only/],
      ['https://example.com/bp.tgz#v1', /only a git URL/],
      ['https://example.com/bp.git#--upload-pack=x', /invalid git ref/],
      ['https://example.com/bp.git#', /invalid git ref/],
      ['file://host/srv/bp', /file:\/\/\/absolute\/path/],
      ['/srv/../etc', /without \.\./],
      ['relative/dir/x', /built-in buildpacks/],
      ['/srv/my bp', /space/],
    ]
    for (const [url, pattern] of cases) assert.throws(() => parseBuildpackUrl(url), pattern, url)
  })
})
