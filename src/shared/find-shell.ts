// The shell that runs a process type's command (`bash -c`, `sh -c` where bash is absent): shared
// by the dynos (src/server/runtime) and `tug local:run`, so that a command runs the same way in both.
import {accessSync, constants as fsConstants} from 'node:fs'
import {delimiter, join} from 'node:path'

/** bash if there is one on PATH (or in /bin, /usr/bin), else sh. */
export function findShell(pathEnv: string | undefined = process.env.PATH, extraDirs: readonly string[] = ['/bin', '/usr/bin']): string {
  const dirs = [...(pathEnv ?? '').split(delimiter).filter(Boolean), ...extraDirs]
  for (const dir of dirs) {
    const candidate = join(dir, 'bash')
    try {
      accessSync(candidate, fsConstants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return '/bin/sh'
}
