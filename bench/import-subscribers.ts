import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createDb, migrateLatest } from '../src/db';
import { createLogger } from '../src/logger';

/**
 * Imports N subscribers (default 100,000) as one CSV through the admin API and prints the
 * time the request took and the rows per second. BENCH_DATABASE_URL=postgres://… runs it
 * on PostgreSQL instead of a fresh SQLite file.
 */
export async function benchImport(n = 100_000) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'masthead-bench-'));
  const databaseUrl = process.env.BENCH_DATABASE_URL || null;
  const schema = `bench_${process.pid}`;
  if (databaseUrl) {
    const admin = createDb({ databaseUrl, dataDir });
    await admin.raw(`create schema if not exists ${schema}`);
    await admin.destroy();
  }
  const db = createDb({ databaseUrl, dataDir, searchPath: databaseUrl ? schema : undefined });
  await migrateLatest(db);
  const config = loadConfig({ DATA_DIR: dataDir, ADMIN_TOKEN: 'bench-admin-token-0123456789', SECRET: 'bench-secret-0123456789abcdef', LOG_LEVEL: 'silent' });
  const app = createApp({ config, db, logger: createLogger('silent'), mailQueued: () => {}, deliveryQueued: () => {} });

  const lines = ['email,name,topics'];
  for (let i = 0; i < n; i++) lines.push(`reader${i}@example.com,Reader ${i},finance;banking`);
  const csv = lines.join('\n');

  const started = performance.now();
  const response = await request(app)
    .post('/api/admin/subscribers/import?status=confirmed&consentNote=bench')
    .set('Authorization', 'Bearer bench-admin-token-0123456789')
    .set('Content-Type', 'text/csv')
    .send(csv);
  const seconds = (performance.now() - started) / 1000;
  if (response.status !== 200 || response.body.added !== n) throw new Error(`import failed: ${response.status} ${JSON.stringify(response.body).slice(0, 200)}`);

  console.log(`import: ${n} rows (${(csv.length / 1e6).toFixed(1)} MB CSV) on ${databaseUrl ? 'PostgreSQL' : 'SQLite'} in ${seconds.toFixed(2)} s = ${Math.round(n / seconds)} rows/s`);
  if (databaseUrl) await db.raw(`drop schema ${schema} cascade`);
  await db.destroy();
  rmSync(dataDir, { recursive: true, force: true });
}
