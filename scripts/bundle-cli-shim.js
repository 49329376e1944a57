// Injected by scripts/bundle-cli.js into the bundled modules that read __dirname (oclif's
// CommonJS: its own directory, to read its package.json): evaluated once, where used.
import {createRequire} from 'node:module'
import {dirname} from 'node:path'

const oclifDir = dirname(createRequire(import.meta.url).resolve('@oclif/core'))
export {oclifDir as __dirname}
