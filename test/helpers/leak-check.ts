// A root hook: after the whole run, whatever still keeps the process alive is a leak (a server
// not closed, a child not reaped, a timer not cleared). Rather than let mocha hang forever, name
// what is left and fail the run. The timer is unref'ed, so it fires only if something else holds
// the event loop open.
const GRACE_MS = 10_000

export const mochaHooks = {
  afterAll(): void {
    setTimeout(() => {
      const resources = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap')
      process.stderr.write(`\nThe test run left handles open ${GRACE_MS / 1000}s after the last test: ${resources.join(', ')}\n`)
      process.exit(1)
    }, GRACE_MS).unref()
  },
}
