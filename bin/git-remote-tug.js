#!/usr/bin/env node
// git's remote helper for `tug://APP` remotes (the ones `tug apps:create` and `tug git:remote` add
// for the embedded local control plane): git finds it on PATH as `git-remote-tug` and runs it as
// `git-remote-tug <remote> <url>`. It is tug's hidden `git:helper` command.
// @oclif/core as bundled with the commands by scripts/bundle-cli.js (one instance for both).
const {execute} = (await import('../dist/lib/chunks/oclif-core.js')).default
await execute({dir: import.meta.url, args: ['git:helper', ...process.argv.slice(2)]})
