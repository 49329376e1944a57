import {UsageError} from '../errors.js'

/** `--addons-postgres-url` as given, or a usage error saying what it must be. */
export function postgresUrl(value: string): string {
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {
    url = undefined
  }
  if (!url || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') || url.hostname === '') {
    throw new UsageError(`--addons-postgres-url must be a postgres:// URL of a superuser, got ${JSON.stringify(value)}.`, {
      hint: 'For example: --addons-postgres-url postgres://postgres@127.0.0.1:5432/postgres',
    })
  }
  return value
}
