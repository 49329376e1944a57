// The base of every tug command: the lazily-built API client, the shared app flags, output
// helpers (data to stdout, progress to stderr) and the one error path that maps the error
// family to `Error: <message>`, a hint, and an exit code.
import {Command, Errors, Flags} from '@oclif/core'

import {ApiClient} from '../api/client.js'
import type {FollowSteps} from '../releases/follow.js'
import {requireApp as resolveRequiredApp} from './app-resolution.js'
import {paint, type Style} from './color.js'
import {renderError} from './error-output.js'
import {exitOnSignals, onInterruptClose} from './interrupt.js'
import {colorEnabled, io, isCI, type CliIo} from './io.js'
import {startSpinner} from './spinner.js'
import {homeDir, resolveTarget, type Target} from './target.js'

/** `-a/--app` and `-r/--remote`, defined once and spread into each app command's flags. */
export const appFlags = {
  app: Flags.string({char: 'a', description: 'app to run the command against (or set TUG_APP)', helpValue: 'APP'}),
  remote: Flags.string({char: 'r', description: 'git remote of the app to use', helpValue: 'REMOTE'}),
}

export abstract class TugCommand<T> extends Command {
  static override enableJsonFlag = true

  /**
   * A command that handles SIGINT and SIGTERM itself (`run` forwards Ctrl-C to its dyno, `server`
   * stops gracefully) sets this; every other one ends on them at once (exitOnSignals).
   */
  static handlesSignals = false

  private client?: ApiClient
  private targetCache?: Target
  private releaseSignals?: () => void

  override async init(): Promise<void> {
    await super.init()
    if (!(this.constructor as typeof TugCommand).handlesSignals) {
      // process.exit, not this.exit: a signal arrives outside the command's promise chain.
      this.releaseSignals = exitOnSignals({stderr: this.io.stderr, exit: (code) => process.exit(code)})
    }
  }

  override async finally(error: Error | undefined): Promise<void> {
    this.releaseSignals?.()
    await super.finally(error)
  }

  protected get io(): CliIo {
    return io()
  }

  protected async target(): Promise<Target> {
    this.targetCache ??= await resolveTarget(this.io.env, homeDir(this.io.env), this.io.stderr)
    return this.targetCache
  }

  /** The API client, built on first use so that commands that never call the API never resolve a target. */
  protected async api(): Promise<ApiClient> {
    if (!this.client) {
      const target = await this.target()
      this.client = new ApiClient({
        baseUrl: target.url,
        token: target.token,
        userAgent: `tug/${this.config.version}`,
        sleep: (ms) => this.io.sleep(ms),
        onWarning: (message) => this.info(`Warning: ${message}`),
      })
    }
    return this.client
  }

  protected requireApp(flags: {app?: string; remote?: string}): string {
    return resolveRequiredApp({flag: flags.app, env: this.io.env, remote: flags.remote, cwd: this.io.cwd()})
  }

  /** A line of data on stdout, unless --json is on (then the returned value is the output). */
  protected out(text = ''): void {
    if (!this.jsonEnabled()) this.io.stdout.write(text + '\n')
  }

  /** A line of progress or information on stderr. */
  protected info(text: string): void {
    this.io.stderr.write(text + '\n')
  }

  protected color(text: string, style: Style, stream: 'stdout' | 'stderr' = 'stdout'): string {
    return paint(text, style, colorEnabled(stream === 'stdout' ? this.io.stdout : this.io.stderr, this.io.env))
  }

  protected colorOn(stream: 'stdout' | 'stderr' = 'stdout'): boolean {
    return colorEnabled(stream === 'stdout' ? this.io.stdout : this.io.stderr, this.io.env)
  }

  /** Whether a spinner may animate: stderr is a terminal, no --json, not in CI. */
  protected spinnerAllowed(): boolean {
    return Boolean(this.io.stderr.isTTY) && !this.jsonEnabled() && !isCI(this.io.env)
  }

  /**
   * `Title... done` on stderr around `work`: an ora spinner on an interactive terminal, plain
   * text otherwise. `done` turns the result into what follows `... ` (default `done`).
   */
  protected async action<R>(title: string, work: () => Promise<R>, done: (result: R) => string = () => 'done'): Promise<R> {
    const stderr = this.io.stderr
    if (this.spinnerAllowed()) {
      const spinner = await startSpinner(stderr, `${title}...`, this.io.env)
      // Interrupted, the title stays on a line of its own, above the interrupted line.
      const closed = onInterruptClose(() => spinner.stopAndPersist({symbol: '', text: `${title}...`}))
      try {
        const result = await work()
        spinner.stopAndPersist({symbol: '', text: `${title}... ${done(result)}`})
        return result
      } catch (error) {
        spinner.stopAndPersist({symbol: '', text: `${title}... !`})
        throw error
      } finally {
        closed()
      }
    }
    stderr.write(`${title}... `)
    const closed = onInterruptClose(() => stderr.write('\n'))
    try {
      const result = await work()
      stderr.write(`${done(result)}\n`)
      return result
    } catch (error) {
      stderr.write('!\n')
      throw error
    } finally {
      closed()
    }
  }

  /** How a release phase is followed (src/lib/releases/follow.ts): its output on stdout, progress on stderr. */
  protected releaseSteps(api: ApiClient, app: string): FollowSteps {
    return {
      sleep: (ms) => this.io.sleep(ms),
      action: (title, work, done) => this.action(title, work, done),
      info: (text) => this.info(text),
      // Imported when a release phase is followed: the log stream it reads loads node:https (tls,
      // crypto: ~10 % of a short command's instructions) and most commands never follow one.
      followRelease: async (release, signal) => {
        const {followReleaseOutput} = await import('../releases/follow.js')
        return followReleaseOutput(api, app, release, (text) => this.out(text), signal)
      },
    }
  }

  // JSON without colour codes, written through the same stdout seam as everything else.
  override logJson(json: unknown): void {
    this.io.stdout.write(JSON.stringify(json, null, 2) + '\n')
  }

  override async catch(error: Error & {exitCode?: number}): Promise<void> {
    if (error instanceof Errors.ExitError) throw error
    const rendered = renderError(error)
    for (const line of rendered.lines) this.io.stderr.write(line + '\n')
    if (this.io.env.DEBUG && error.stack) this.io.stderr.write(error.stack + '\n')
    this.exit(rendered.exitCode)
  }

  abstract override run(): Promise<T>
}
