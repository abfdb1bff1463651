import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knex, { type Knex } from 'knex';

export type Db = Knex;

export const migrationsDirectory = path.join(import.meta.dirname, '..', 'migrations');

/** Connection settings for either engine; shared by the server, the CLI and knexfile.ts. */
export function knexConfig(options: { databaseUrl: string | null; dataDir: string; searchPath?: string }): Knex.Config {
  const migrations = { directory: migrationsDirectory, loadExtensions: ['.ts'], tableName: 'knex_migrations' };
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
    connection: { filename: path.join(options.dataDir, 'masthead.sqlite') },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      // WAL lets readers run beside the writer; busy_timeout makes a second process wait instead of failing.
      afterCreate(conn: { pragma: (s: string) => unknown }, done: (err: Error | null, conn: unknown) => void) {
        conn.pragma('journal_mode = WAL');
        conn.pragma('foreign_keys = ON');
        conn.pragma('busy_timeout = 5000');
        done(null, conn);
      },
    },
    migrations,
  };
}

export function createDb(options: Parameters<typeof knexConfig>[0]): Db {
  return knex(knexConfig(options));
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
