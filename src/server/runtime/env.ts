// The runtimes' settings from the environment (TUG_STOP_GRACE_MS, TUG_BOOT_TIMEOUT_MS, ...): the
// local runtime and the Kubernetes one read them the same way.

/** Milliseconds from the environment: a finite number >= 0, else undefined (unset, empty or not such a number). */
export function msFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env[name]
  if (text === undefined || text === '') return undefined
  const value = Number(text)
  return Number.isFinite(value) && value >= 0 ? value : undefined
}
