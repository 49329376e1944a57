// Schema migrations, versioned in code. Each one runs once, in order, inside a transaction with
// its row in `schema_migrations`, so a crash mid-migration leaves the previous version intact.
// Append new migrations at the end; never edit one that has shipped.
import {createHash} from 'node:crypto'
import type {Database} from 'better-sqlite3'

export interface Migration {
  version: number
  name: string
  up: string
  /** Row conversions SQL cannot express (hashing), run after `up` in the same transaction. */
  convert?: (db: Database) => void
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    up: `
      CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        name TEXT,
        allow_tracking INTEGER NOT NULL DEFAULT 1,
        beta INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        last_login TEXT
      );

      CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        description TEXT,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        last_used_at TEXT
      );

      CREATE TABLE apps (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        owner_id TEXT NOT NULL REFERENCES accounts(id),
        region TEXT NOT NULL,
        stack TEXT NOT NULL,
        build_stack TEXT NOT NULL,
        maintenance INTEGER NOT NULL DEFAULT 0,
        current_release_id TEXT,
        released_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );

      -- Config is stored per release as an immutable snapshot; releases that do not change config
      -- share their predecessor's snapshot.
      CREATE TABLE config_snapshots (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        vars TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX config_snapshots_app ON config_snapshots(app_id);

      CREATE TABLE releases (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        description TEXT NOT NULL,
        status TEXT NOT NULL,
        slug_id TEXT,
        code_dir TEXT,
        process_types TEXT,
        config_id TEXT NOT NULL REFERENCES config_snapshots(id),
        user_id TEXT NOT NULL REFERENCES accounts(id),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (app_id, version)
      );
      CREATE INDEX releases_slug ON releases(app_id, slug_id);

      CREATE TABLE formation (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        type TEXT NOT NULL,
        command TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity >= 0),
        size TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (app_id, type)
      );

      CREATE TABLE dynos (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        one_off INTEGER NOT NULL,
        command TEXT NOT NULL,
        size TEXT NOT NULL,
        state TEXT NOT NULL,
        release_id TEXT NOT NULL REFERENCES releases(id),
        attach INTEGER NOT NULL DEFAULT 0,
        attach_url TEXT,
        force_no_tty INTEGER NOT NULL DEFAULT 0,
        env TEXT NOT NULL DEFAULT '{}',
        time_to_live INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (app_id, name)
      );

      CREATE TABLE log_sessions (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        dyno TEXT,
        dyno_name TEXT,
        type TEXT,
        source TEXT,
        lines INTEGER,
        tail INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );

      -- Written by the builds engineer's code (src/server/builds); created here so that the schema
      -- has one owner and one migration history.
      CREATE TABLE sources (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        blob_path TEXT NOT NULL,
        uploaded_at TEXT
      );

      CREATE TABLE builds (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        source_url TEXT NOT NULL,
        status TEXT NOT NULL,
        release_id TEXT REFERENCES releases(id),
        output_path TEXT,
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        user_id TEXT REFERENCES accounts(id)
      );
      CREATE INDEX builds_app ON builds(app_id);
    `,
  },
  {
    version: 2,
    name: 'dyno manager: backend records, exits, per-app runtime settings, schedules',
    up: `
      -- The backend's opaque record of a running dyno (JSON), so that a control plane restarted
      -- after a crash can find and stop what the previous one started.
      ALTER TABLE dynos ADD COLUMN backend_record TEXT;
      -- For one-off dynos: how and when they ended (kept for a while, shown by GET /dynos).
      ALTER TABLE dynos ADD COLUMN exit_status INTEGER;
      ALTER TABLE dynos ADD COLUMN ended_at TEXT;

      -- Settings of the dyno manager that are not config vars (the dynos never see them).
      CREATE TABLE runtime_settings (
        app_id TEXT PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
        stop_grace_ms INTEGER,
        updated_at TEXT NOT NULL
      );

      CREATE TABLE schedules (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        expression TEXT NOT NULL,
        timezone TEXT NOT NULL,
        command TEXT NOT NULL,
        size TEXT NOT NULL,
        last_run_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX schedules_app ON schedules(app_id);
    `,
  },
  {
    version: 3,
    name: 'log drains; log sessions remember when they were first read',
    up: `
      CREATE TABLE log_drains (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        token TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (app_id, url)
      );

      -- A session expires 5 minutes after creation if unused, 1 hour after it was first read.
      ALTER TABLE log_sessions ADD COLUMN connected_at TEXT;
    `,
  },
  {
    version: 4,
    name: 'runtime settings: rolling restart',
    up: `
      -- With two or more web dynos, restart them one at a time; NULL = the default (on).
      ALTER TABLE runtime_settings ADD COLUMN rolling_restart INTEGER;
    `,
  },
  {
    version: 5,
    name: 'builds keep only the SHA-256 of their capability URLs',
    up: `
      -- The output stream's capability token was the output file's name, and source_url held the
      -- source's token: both in the clear. The token's SHA-256 is what a request is checked
      -- against now; the file is named after the build, and source_url names the source by its
      -- hash (its id).
      ALTER TABLE builds ADD COLUMN output_token_hash TEXT;
      CREATE UNIQUE INDEX builds_output_token ON builds(output_token_hash);
    `,
    convert: hashBuildCapabilities,
  },
  {
    version: 6,
    name: 'releases remember that their code was pruned',
    up: `
      -- Only the last N releases' code stays on disk; a rollback to an older one says so.
      ALTER TABLE releases ADD COLUMN code_pruned_at TEXT;
    `,
  },
  {
    version: 7,
    name: 'builds run buildpacks: checksum, version, buildpacks used, slug size',
    up: `
      -- "SHA256:<hex>" of the uploaded blob, hashed as it is written (Heroku's source_blob.checksum).
      ALTER TABLE sources ADD COLUMN checksum TEXT;
      ALTER TABLE builds ADD COLUMN source_checksum TEXT;
      -- The build body's source_blob.version (a commit, for git pushes and tug deploy in a checkout).
      ALTER TABLE builds ADD COLUMN source_version TEXT;
      -- JSON [{url, name}]: the buildpacks asked for while pending, those that ran once finished.
      ALTER TABLE builds ADD COLUMN buildpacks TEXT;
      -- Bytes of the slug a succeeded build made.
      ALTER TABLE builds ADD COLUMN slug_size INTEGER;
    `,
  },
  {
    version: 8,
    name: 'buildpack installations',
    up: `
      -- The buildpacks an app's builds run, in order (Heroku's buildpack-installations); none = the
      -- built-in ones, detected. url is as the user gave it: a built-in name, a path or a URL.
      CREATE TABLE buildpack_installations (
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,
        url TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (app_id, ordinal)
      );
    `,
  },
  {
    version: 9,
    name: 'add-ons and their attachments',
    up: `
      -- An add-on is written 'provisioning' before its provider makes anything and 'provisioned'
      -- after, 'deprovisioning' before its resource is dropped and deleted after: a start finds
      -- what a crash left midway by its state (addons/service.ts). No cascade from apps: an app's
      -- add-ons are deprovisioned before the app goes, so no resource is left without its record.
      CREATE TABLE addons (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        app_id TEXT NOT NULL REFERENCES apps(id),
        service TEXT NOT NULL,
        plan TEXT NOT NULL,
        state TEXT NOT NULL,
        -- The provider's name for the resource (a database and role, a Redis instance).
        provider_id TEXT NOT NULL,
        -- JSON: what the provider keeps about the resource (its URL with the password, a port).
        resource TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX addons_app ON addons (app_id);

      -- name is the config var's prefix: DATABASE gives DATABASE_URL.
      CREATE TABLE addon_attachments (
        id TEXT PRIMARY KEY,
        addon_id TEXT NOT NULL REFERENCES addons(id) ON DELETE CASCADE,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (app_id, name)
      );
      CREATE INDEX addon_attachments_addon ON addon_attachments (addon_id);
    `,
  },
  {
    version: 10,
    name: 'users, teams, collaborators, scoped tokens, audit events',
    up: `
      -- password_hash: scrypt$N$r$p$salt$hash (domain/passwords.ts); NULL until an invitation is
      -- accepted. removed_at: a removed user keeps the row (releases and audit events name it).
      ALTER TABLE accounts ADD COLUMN password_hash TEXT;
      ALTER TABLE accounts ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE accounts ADD COLUMN invited_at TEXT;
      ALTER TABLE accounts ADD COLUMN activated_at TEXT;
      ALTER TABLE accounts ADD COLUMN removed_at TEXT;

      -- Only the SHA-256 of the one-time code is kept (256 random bits: nothing to brute-force).
      CREATE TABLE invitations (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        email TEXT NOT NULL,
        code_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT
      );

      CREATE TABLE teams (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );

      CREATE TABLE team_members (
        team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
        account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (team_id, account_id)
      );
      CREATE INDEX team_members_account ON team_members (account_id);

      ALTER TABLE apps ADD COLUMN team_id TEXT REFERENCES teams(id);
      CREATE INDEX apps_owner ON apps (owner_id);
      CREATE INDEX apps_team ON apps (team_id);

      CREATE TABLE collaborators (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (app_id, account_id)
      );
      CREATE INDEX collaborators_account ON collaborators (account_id);

      -- Tokens made before this migration were all the admin's, with no limit: they stay so.
      ALTER TABLE tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'global' CHECK (scope IN ('read', 'write', 'global'));
      ALTER TABLE tokens ADD COLUMN app_id TEXT REFERENCES apps(id) ON DELETE CASCADE;
      ALTER TABLE tokens ADD COLUMN expires_at TEXT;

      -- Who did what: names are copied (an app or a user may go, its history stays); no secrets,
      -- no config values.
      CREATE TABLE audit_events (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        actor_id TEXT,
        actor_email TEXT,
        token_id TEXT,
        token_description TEXT,
        app_id TEXT,
        app_name TEXT,
        action TEXT NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        status INTEGER NOT NULL
      );
      CREATE INDEX audit_events_app ON audit_events (app_id, seq);
      CREATE INDEX audit_events_actor ON audit_events (actor_id, seq);

      -- Before this migration the one account was the admin that owns every app.
      UPDATE accounts SET admin = 1, activated_at = created_at;
    `,
  },
]

const CAPABILITY_TOKEN = /^[A-Za-z0-9_-]{43}$/
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')

/**
 * Migration 5's rows: `<dir>/<token>.log` becomes `<dir>/<build-id>.log` with the token's hash in
 * output_token_hash (the builds service renames the file at start, finding it by that hash), and
 * the token in source_url becomes its hash. Rows that hold no token are left as they are.
 */
function hashBuildCapabilities(db: Database): void {
  const rows = db.prepare('SELECT id, source_url, output_path FROM builds').all() as Array<{id: string; source_url: string; output_path: string | null}>
  const update = db.prepare('UPDATE builds SET source_url = ?, output_path = ?, output_token_hash = ? WHERE id = ?')
  for (const row of rows) {
    const sourceUrl = row.source_url.replace(/\/sources\/([A-Za-z0-9_-]{43})\/blob$/, (_, token: string) => `/sources/${sha256(token)}/blob`)
    const match = row.output_path === null ? null : /^(.*\/)([^/]+)\.log$/.exec(row.output_path)
    const token = match && CAPABILITY_TOKEN.test(match[2] as string) ? (match[2] as string) : undefined
    if (token === undefined) {
      update.run(sourceUrl, row.output_path, null, row.id)
    } else {
      update.run(sourceUrl, `${match?.[1] ?? ''}${row.id}.log`, sha256(token), row.id)
    }
  }
}

/** Applies the migrations `db` has not seen yet; returns the versions applied. */
export function migrate(db: Database, list: readonly Migration[] = migrations): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`)
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as Array<{version: number}>).map((r) => r.version),
  )
  const done: number[] = []
  for (const migration of [...list].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue
    db.transaction(() => {
      db.exec(migration.up)
      migration.convert?.(db)
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        new Date().toISOString(),
      )
    })()
    done.push(migration.version)
  }
  return done
}
