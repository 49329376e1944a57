// The one way the tests wait: on a condition, with a deadline, named so that a timeout says what
// did not happen. Never a fixed sleep. Deadlines stay generous: the suite runs on a loaded 2-core
// machine, where starting a node process can take seconds.

export interface WaitOptions {
  /** Named in the timeout error; a function is asked at the timeout, so it can tell the state then. */
  what: string | (() => string)
  /** 15 s unless the caller knows better. */
  timeoutMs?: number
  /** How often the condition is checked (25 ms); a condition that does I/O may ask for less often. */
  intervalMs?: number
}

/**
 * Polls `condition` until it gives a value other than `undefined`, `null` or `false`, and returns
 * that value (so `0` and `''` count as found); rejects once `timeoutMs` has passed.
 */
export async function waitFor<T>(
  condition: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  options: WaitOptions,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000
  const intervalMs = options.intervalMs ?? 25
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await condition()
    if (value !== undefined && value !== false && value !== null) return value
    if (Date.now() > deadline) {
      const what = typeof options.what === 'function' ? options.what() : options.what
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/** Resolves with the promise's value, or rejects when it takes longer than `timeoutMs`. */
export async function withDeadline<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}
