import dotenv from 'dotenv';
import { ConfigError, loadConfig } from '../config';
import { createDb } from '../db';

/** `npm run migrate`: applies the migrations in migrations/ to DATABASE_URL (or the SQLite file). */
dotenv.config({ quiet: true });
try {
  const config = loadConfig();
  const db = createDb(config);
  const [batch, applied] = await db.migrate.latest();
  console.log(applied.length ? `Applied ${applied.length} migration(s) in batch ${batch}.` : 'Already up to date.');
  await db.destroy();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `Migration failed: ${(err as Error).message}`);
  process.exit(1);
}
