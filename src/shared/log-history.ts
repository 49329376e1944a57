// How many recent lines a control plane keeps per app. Shared by the log router, the
// log-session route (which clamps `lines` to it) and `tug logs -n` (which accepts up to it),
// so the CLI never refuses what the server would give, without importing server code.
export const LOG_HISTORY_LINES = 10_000
