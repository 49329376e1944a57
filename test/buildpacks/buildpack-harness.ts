// Runs tug's built-in buildpacks the way a build does, without a control plane: the real
// bin/detect, bin/compile and bin/release over a fixture app copied into a temp dir, with a
// cache dir and an ENV_DIR of one file per config var.
import {execFile} from 'node:child_process'
import {cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'apps')

export interface Run {
  code: number
  /** stdout then stderr (compile sends everything to stdout, in order). */
  output: string
}

/** Runs a file and resolves with its exit status and output, never rejecting on a non-zero exit. */
export function run(file: string, args: string[], options: {cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number} = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(file, args, {cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs ?? 180_000, maxBuffer: 64 * 1024 * 1024}, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error)
      resolve({code: typeof error?.code === 'number' ? error.code : 0, output: `${stdout}${stderr}`})
    })
  })
}

/** A temp workspace: `app` (a copy of a fixture), `cache` and `env` beside it. */
export class Workspace {
  readonly root = mkdtempSync(join(tmpdir(), 'tug-buildpack-'))
  readonly cache = join(this.root, 'cache')
  readonly env = join(this.root, 'env')
  private builds = 0

  constructor(readonly buildpack: 'nodejs' | 'python') {
    mkdirSync(this.cache)
    mkdirSync(this.env)
  }

  /** A fresh copy of the fixture app, as each build gets a fresh copy of its source. */
  app(fixture: string): string {
    const dir = join(this.root, `app-${++this.builds}`)
    cpSync(join(FIXTURES, fixture), dir, {recursive: true})
    return dir
  }

  /** Sets a config var, as the build's ENV_DIR holds them. */
  config(name: string, value: string): void {
    writeFileSync(join(this.env, name), value)
  }

  bin(script: 'detect' | 'compile' | 'release'): string {
    return join(ROOT, 'buildpacks', this.buildpack, 'bin', script)
  }

  detect(app: string): Promise<Run> {
    return run(this.bin('detect'), [app])
  }

  compile(app: string, env?: NodeJS.ProcessEnv): Promise<Run> {
    return run(this.bin('compile'), [app, this.cache, this.env], {env})
  }

  release(app: string): Promise<Run> {
    return run(this.bin('release'), [app])
  }

  remove(): void {
    rmSync(this.root, {recursive: true, force: true})
  }
}

/**
 * A PATH with everything of this one except the named commands: a directory of links to each
 * executable found on PATH (first one wins), so that a test can run on a machine where, say,
 * yarn is missing even when this one has it.
 */
export function pathWithout(dir: string, missing: readonly string[]): string {
  mkdirSync(dir, {recursive: true})
  for (const entry of (process.env.PATH ?? '').split(':')) {
    let names: string[]
    try {
      names = readdirSync(entry)
    } catch {
      continue
    }
    for (const name of names) {
      if (missing.includes(name)) continue
      try {
        if (!statSync(join(entry, name)).isFile()) continue
        symlinkSync(join(entry, name), join(dir, name))
      } catch {
        // a directory, a broken link, or a name an earlier PATH entry already gave
      }
    }
  }
  return dir
}
