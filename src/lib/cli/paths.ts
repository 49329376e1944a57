// The user's home and tug's data directory in it: target.ts and local-server.ts both need them, and
// local-server.ts must not import target.ts (which imports it to start the local control plane).
import type * as Os from 'node:os'
import {join} from 'node:path'

export function homeDir(env: NodeJS.ProcessEnv): string {
  // node:os only without HOME: every command resolves its home, and HOME is nearly always set.
  return env.HOME && env.HOME !== '' ? env.HOME : (process.getBuiltinModule('node:os') as typeof Os).homedir()
}

export function tugHome(env: NodeJS.ProcessEnv, home: string = homeDir(env)): string {
  return env.TUG_HOME && env.TUG_HOME !== '' ? env.TUG_HOME : join(home, '.local', 'share', 'tug')
}
