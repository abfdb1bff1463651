import dotenv from 'dotenv';
import { ConfigError, loadConfig, type Config } from '../config';
import { createDb, migrateLatest } from '../db';
import { createLogger, logFatalErrors } from '../logger';
import { createWorkers } from '../workers';

/**
 * `npm run worker`: the background workers without the HTTP server, for more sending
 * processes on one PostgreSQL database. SIGTERM finishes the batch in hand, then exits.
 */
dotenv.config({ quiet: true });
let config: Config;
try {
  config = loadConfig();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : String(err));
  process.exit(1);
}
const logger = createLogger(config.logLevel);
logFatalErrors(logger);
const db = createDb(config);
await migrateLatest(db);
const workers = createWorkers({ config, db, logger });
workers.start();
logger.info({ worker: workers.delivery.workerId }, 'worker started');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await workers.stop();
  await db.destroy();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
