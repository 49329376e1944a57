// The embedded local control plane: where the CLI points when no remote is configured.
// Issue 3 makes `ensureLocalServer` start `tug server` in the background on $TUG_HOME; until it
// lands, having no target is an error that says how to set one.
import {UsageError} from '../errors.js'

export interface LocalTarget {
  url: string
  token: string
}

export async function ensureLocalServer(_home: string): Promise<LocalTarget> {
  throw new UsageError('No control plane configured.', {
    hint: 'Set TUG_API_URL and TUG_API_KEY, or run `tug login URL`.',
  })
}
