// `git-remote-tug`: git runs it for a remote whose URL is `tug://<app>` (`git-remote-tug <remote>
// <url>`, talking git's remote-helper protocol on its stdin and stdout). It hands the whole
// conversation to git's own HTTP helper, `git remote-http <remote> <git_url>`, with the app's
// git_url on the control plane tug points at now and that control plane's token as an HTTP header
// (in git's environment-passed configuration, not on a command line `ps` shows). The pack protocol
// stays git's; what this adds is the finding (and starting) of the control plane.
import {spawn} from 'node:child_process'

/** The environment `git remote-http` runs with: the caller's, plus one config entry for the header. */
export function helperEnv(env: NodeJS.ProcessEnv, token: string | undefined): NodeJS.ProcessEnv {
  if (token === undefined) return env
  const count = Number.parseInt(env.GIT_CONFIG_COUNT ?? '0', 10)
  const index = Number.isInteger(count) && count > 0 ? count : 0
  return {
    ...env,
    GIT_CONFIG_COUNT: String(index + 1),
    [`GIT_CONFIG_KEY_${index}`]: 'http.extraHeader',
    // Basic with the token as the password, as the git endpoint (and Heroku's) expects.
    [`GIT_CONFIG_VALUE_${index}`]: `Authorization: Basic ${Buffer.from(`tug:${token}`).toString('base64')}`,
  }
}

/** Runs git's HTTP remote helper on the same stdin and stdout; resolves with its exit code. */
export function runHttpHelper(remote: string, gitUrl: string, token: string | undefined, env: NodeJS.ProcessEnv): Promise<number> {
  const scheme = new URL(gitUrl).protocol === 'https:' ? 'remote-https' : 'remote-http'
  return new Promise((resolve, reject) => {
    const child = spawn('git', [scheme, remote, gitUrl], {stdio: 'inherit', env: helperEnv(env, token)})
    child.on('error', reject)
    // Killed by a signal: git sees the helper fail, as it would have seen git's own.
    child.on('close', (code) => resolve(code ?? 1))
  })
}
