// The layering of the design (DESIGN.md; README, 'Developing tug'), checked by `npm run lint:deps`.
// CommonJS because dependency-cruiser loads its configuration with require().
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cli-to-server',
      comment:
        'The CLI (src/commands, src/lib, src/hooks) talks to a control plane over HTTP only, so that it works ' +
        "against any one (a remote tug, Heroku's API). What both sides need lives in src/shared. The " +
        "exceptions are the control plane's entry, src/server/index.ts, which `tug server`, server:tokens and " +
        'the local autostart run in-process, and src/server/processes.ts, the process manager alone that ' +
        '`tug local` runs (see cli-loads-server-lazily).',
      severity: 'error',
      from: {path: '^src/(commands|lib|hooks)/'},
      to: {path: '^src/server/', pathNot: '^src/server/(index|processes)\\.ts$'},
    },
    {
      name: 'cli-loads-server-lazily',
      comment:
        'Every command loads the CLI; only the few that run a control plane may pay for fastify and the ' +
        'native SQLite module, so they reach src/server/index.ts (and `tug local` the process manager, ' +
        'src/server/processes.ts) with a dynamic import() and nothing else does.',
      severity: 'error',
      from: {path: '^src/(commands|lib|hooks)/'},
      to: {path: '^src/server/(index|processes)\\.ts$', dynamic: false},
    },
    {
      name: 'server-only-shared',
      comment:
        "The control plane must not depend on the CLI's code (its errors, output, credentials): of tug's own " +
        'code outside src/server it imports only src/shared (wire types, log-line format, Procfile parser...).',
      severity: 'error',
      from: {path: '^src/server/'},
      to: {path: '^src/', pathNot: '^src/(server|shared)/'},
    },
    {
      name: 'shared-is-pure',
      comment:
        'src/shared is what both sides use; if it imported either side, the CLI would pull in the server ' +
        '(or the reverse) through it.',
      severity: 'error',
      from: {path: '^src/shared/'},
      to: {path: '^src/', pathNot: '^src/shared/'},
    },
    {
      name: 'http-is-the-top',
      comment:
        'The HTTP layer is the top of the control plane: the domain, runtime, logs, builds and store know ' +
        'nothing of fastify or of HTTP errors (they throw DomainError, which http/errors.ts maps). Only ' +
        'http/ itself and the composition root, src/server/index.ts, import it.',
      severity: 'error',
      from: {path: '^src/', pathNot: '^src/server/(http/|index\\.ts$)'},
      to: {path: '^src/server/http/'},
    },
    {
      name: 'no-circular',
      comment:
        'An import cycle means neither side can be understood, tested or replaced without the other; ' +
        'break it with a small interface in its own file that both depend on.',
      severity: 'error',
      from: {path: '^src/'},
      to: {circular: true},
    },
    {
      name: 'not-to-test',
      comment: 'Shipped code must not depend on tests or their helpers (test doubles belong in test/).',
      severity: 'error',
      from: {path: '^src/'},
      to: {path: '^test/'},
    },
    {
      name: 'not-to-unresolvable',
      comment: "An import of tug's own code that the check cannot resolve is one it cannot judge: every relative import must resolve.",
      severity: 'error',
      from: {path: '^src/'},
      to: {couldNotResolve: true, path: '^[.]'},
    },
    {
      name: 'no-orphans',
      comment: 'A module nothing imports is dead code (entry points are the commands, hooks and the server entry).',
      severity: 'error',
      from: {orphan: true, path: '^src/', pathNot: '^src/(commands|hooks)/|^src/server/index\\.ts$'},
      to: {},
    },
  ],
  options: {
    doNotFollow: {path: 'node_modules'},
    // Type-only imports count: a type cycle couples files as much as a value cycle does.
    tsPreCompilationDeps: true,
    tsConfig: {fileName: 'tsconfig.json'},
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
}
