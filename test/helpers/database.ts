import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDb, migrateLatest, type Db } from '../../src/db';
import type { Engine } from './engines';

/**
 * A fresh, migrated database for one suite: a new SQLite file in a temporary folder, or a
 * new schema on the PostgreSQL server, dropped at the end, so runs never see each other's rows.
 */
export interface TestDatabase {
  db: Db;
  dataDir: string;
  /** For child processes: DATABASE_URL that lands in the same database or schema (null: SQLite in dataDir). */
  databaseUrl: string | null;
  destroy(): Promise<void>;
}

/** `migrate: false` leaves it empty, for tests of a migration on rows written before it. */
export async function createTestDatabase(engine: Engine, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const migrate = options.migrate ?? true;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'masthead-test-'));
  if (engine.name === 'sqlite') {
    const db = createDb({ databaseUrl: null, dataDir });
    if (migrate) await migrateLatest(db);
    return {
      db,
      dataDir,
      databaseUrl: null,
      async destroy() {
        await db.destroy();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const schema = `t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = createDb({ databaseUrl: engine.url, dataDir });
  await admin.raw(`create schema ${schema}`);
  await admin.destroy();
  const db = createDb({ databaseUrl: engine.url, dataDir, searchPath: schema });
  if (migrate) await migrateLatest(db);
  const url = new URL(engine.url);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    db,
    dataDir,
    databaseUrl: url.toString(),
    async destroy() {
      await db.raw(`drop schema if exists ${schema} cascade`);
      await db.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
