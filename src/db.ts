import { accessSync, constants, mkdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { readdir } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import knex, { type Knex } from 'knex';
import { paths } from './paths';

/**
 * The migrations in migrations/ (TypeScript, run through tsx) or their build in
 * dist/migrations (JavaScript). Each is recorded under its name without the extension, so
 * a database migrated from either stays in step with the other.
 */
class MigrationFiles implements Knex.MigrationSource<string> {
  async getMigrations() {
    const files = await readdir(paths.migrations);
    return files.filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).sort();
  }
  getMigrationName(file: string) {
    return file.replace(/\.(ts|js)$/, '');
  }
  getMigration(file: string) {
    return import(pathToFileURL(path.join(paths.migrations, file)).href);
  }
}

export type Db = Knex;

const sqliteFile = (dataDir: string) => path.join(dataDir, 'masthead.sqlite');


/** Connection settings for either engine; shared by the server, the CLI and knexfile.ts. */
export function knexConfig(options: { databaseUrl: string | null; dataDir: string; searchPath?: string }): Knex.Config {
  const migrations = { migrationSource: new MigrationFiles(), tableName: 'knex_migrations' };
  if (options.databaseUrl) {
    return {
      client: 'pg',
      connection: options.databaseUrl,
      searchPath: options.searchPath ? [options.searchPath] : undefined,
      pool: { min: 0, max: 10 },
      migrations,
    };
  }
  mkdirSync(options.dataDir, { recursive: true });
  return {
    client: 'better-sqlite3',
    connection: { filename: sqliteFile(options.dataDir) },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      // WAL lets readers run beside the writer; busy_timeout makes a second process wait instead of failing.
      afterCreate(conn: { pragma: (s: string) => unknown }, done: (err: Error | null, conn: unknown) => void) {
        conn.pragma('journal_mode = WAL');
        conn.pragma('foreign_keys = ON');
        conn.pragma('busy_timeout = 5000');
        // In WAL mode NORMAL still survives a killed process (a commit is in the WAL file);
        // only a power cut may lose the last commits. FULL's fsync per commit cost 6.7 ms
        // here, and the sender commits each lane's outcome as it is accepted.
        conn.pragma('synchronous = NORMAL');
        // Reads through read(), never a memory map of the file: an I/O error on a mapped page
        // is a SIGBUS that kills the process with no log line (0 is this build's default; pinned).
        conn.pragma('mmap_size = 0');
        done(null, conn);
      },
    },
    migrations,
  };
}

type AfterCreate = (conn: unknown, done: (err: Error | null, conn: unknown) => void) => void;

/** The SQLite file each Db opened, as it was when first opened (device and inode). */
const openedFiles = new WeakMap<Db, { file: string; opened: Stats | null }>();

export function createDb(options: Parameters<typeof knexConfig>[0]): Db {
  const config = knexConfig(options);
  if (options.databaseUrl) return knex(config);
  // Record the file's identity when the first connection opens it: a connection keeps
  // writing to an unlinked file, so a path that no longer names it means writes are lost.
  const record = { file: sqliteFile(options.dataDir), opened: null as Stats | null };
  const pool = config.pool as { afterCreate: AfterCreate };
  const afterCreate = pool.afterCreate;
  pool.afterCreate = (conn, done) =>
    afterCreate(conn, (err, c) => {
      if (!err && !record.opened) record.opened = statSync(record.file);
      done(err, c);
    });
  const db = knex(config);
  openedFiles.set(db, record);
  beginImmediately(db);
  return db;
}

/**
 * Why the SQLite file this Db opened can no longer keep what is written to it (removed,
 * replaced, not writable), or null when it can, on PostgreSQL, or before the first connection.
 */
export function databaseFileProblem(db: Db): string | null {
  const record = openedFiles.get(db);
  if (!record?.opened) return null;
  let now: Stats;
  try {
    now = statSync(record.file);
  } catch {
    return 'file removed';
  }
  if (now.dev !== record.opened.dev || now.ino !== record.opened.ino) return 'file replaced';
  try {
    // The folder too: the WAL and its index are created beside the file.
    accessSync(record.file, constants.W_OK);
    accessSync(path.dirname(record.file), constants.W_OK);
  } catch {
    return 'not writable';
  }
  return null;
}

/**
 * SQLite transactions start as BEGIN IMMEDIATE, taking the write lock up front. A deferred
 * BEGIN that reads and then writes fails at once with SQLITE_BUSY when another process
 * (a worker on the same file) wrote in between; IMMEDIATE waits its turn (busy_timeout).
 */
function beginImmediately(db: Db) {
  type Trx = { begin: (conn: unknown) => unknown; query: (conn: unknown, sql: string) => unknown };
  const client = db.client as { transaction: (...args: unknown[]) => Trx };
  const open = client.transaction.bind(client);
  client.transaction = (...args: unknown[]) => {
    const trx = open(...args);
    trx.begin = (conn) => trx.query(conn, 'BEGIN IMMEDIATE;');
    return trx;
  };
}

export async function migrateLatest(db: Db): Promise<void> {
  await db.migrate.latest();
}

export function isPostgres(db: Db): boolean {
  return db.client.config.client === 'pg';
}

/** SQLite hands back numbers for timestamps and 0/1 for booleans; PostgreSQL hands back Dates. */
export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  return new Date(typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : (value as string | number));
}

/** A unique-constraint violation, on either engine (a lost race, not a fault). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
