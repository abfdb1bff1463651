import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDb, migrateLatest } from '../src/db';

/**
 * A benchmark's own migrated database: a SQLite file in a temporary DATA_DIR, or with
 * BENCH_DATABASE_URL (or the `baseUrl` given) a fresh schema on that PostgreSQL server. `databaseUrl` is what a
 * spawned server process needs to land in the same place (null: SQLite in dataDir).
 */
export async function benchDatabase(name: string, baseUrl = process.env.BENCH_DATABASE_URL || null) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `masthead-bench-${name}-`));
  const schema = `bench_${name}_${process.pid}`;
  let databaseUrl: string | null = null;
  if (baseUrl) {
    const admin = createDb({ databaseUrl: baseUrl, dataDir });
    await admin.raw(`create schema if not exists ${schema}`);
    await admin.destroy();
    const url = new URL(baseUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    databaseUrl = url.toString();
  }
  const db = createDb({ databaseUrl: baseUrl, dataDir, searchPath: baseUrl ? schema : undefined });
  await migrateLatest(db);
  return {
    db,
    dataDir,
    databaseUrl,
    engine: baseUrl ? 'PostgreSQL' : 'SQLite',
    async drop() {
      if (baseUrl) await db.raw(`drop schema ${schema} cascade`);
      await db.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
