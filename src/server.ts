import dotenv from 'dotenv';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app';
import { createUploadSweeper } from './awards/upload-sweep';
import { ConfigError, loadConfig, type Config } from './config';
import { createDb, migrateLatest } from './db';
import { loadDemoContent } from './demo';
import { applyServerTimeouts } from './http/server-timeouts';
import { createLogger, logFatalErrors } from './logger';
import { createWorkers } from './workers';
import { firstAdminNotice } from './staff/first-admin';

/** Starts Masthead: config → database (migrated) → workers → app → listen. The only file that opens a port. */
async function main() {
  dotenv.config({ quiet: true });
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  logFatalErrors(logger);
  const db = createDb(config);
  await migrateLatest(db);
  await loadDemoContent(db);
  const adminNotice = await firstAdminNotice(db, config);
  // What a killed process left in uploads/ goes before the first request, then daily.
  const uploadSweeper = createUploadSweeper({ db, dataDir: config.dataDir, logger });
  await uploadSweeper.sweep();
  uploadSweeper.start();

  const workers = createWorkers({ config, db, logger });
  workers.start();
  const app = createApp({ config, db, logger, mailQueued: () => workers.mailJobs.kick(), deliveryQueued: () => workers.delivery.kick() });

  const server = applyServerTimeouts(createServer(app));
  // Only while starting (a port in use): later errors are not a reason to exit.
  const cannotListen = (err: Error) => {
    console.error(`Masthead could not start: ${err.message}`);
    process.exit(1);
  };
  server.once('error', cannotListen);
  server.once('listening', () => server.off('error', cannotListen));
  server.listen(config.port, config.host, () => {
    const { port } = server.address() as AddressInfo;
    const url = config.baseUrl === `http://localhost:${config.port}` ? `http://localhost:${port}` : config.baseUrl;
    console.log(`Masthead is listening on ${url} (${config.host}:${port})`);
    console.log(`Database: ${config.databaseUrl ? 'PostgreSQL' : `SQLite in ${config.dataDir}`}`);
    console.log(`Mail: ${config.smtpUrl ? 'SMTP' : `written as .eml files to ${config.dataDir}/outbox`}`);
    if (config.generatedSecretFiles.adminToken) console.log(`Admin token: in ${config.generatedSecretFiles.adminToken}`);
    for (const line of adminNotice) console.log(line);
  });

  // SIGTERM: stop accepting, let in-flight requests finish, stop the workers, close the database.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    server.close(async () => {
      await workers.stop();
      await uploadSweeper.stop();
      await db.destroy();
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  console.error(`Masthead could not start: ${(err as Error).message}`);
  process.exit(1);
});
