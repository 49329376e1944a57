// The runtime's process manager alone, for `tug local` (issue 20): the CLI loads it lazily, as it
// loads index.ts for `tug server`, but without the control plane around it (fastify, SQLite, the
// builds, the add-ons), which would cost every `tug local` start ~0.4 s for nothing it uses.
export {LocalBackend} from './runtime/local-backend.js'
