import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import type { Db } from '../../src/db';
import { createLogger } from '../../src/logger';
import { createWorkers, type Workers } from '../../src/workers';
import type { DeliveryWorkerOptions } from '../../src/delivery/worker';
import { createTestDatabase, type TestDatabase } from './database';
import type { Engine } from './engines';
import { startSmtpSink, type SmtpSink } from './smtp';

export const TEST_BASE_URL = 'http://masthead.test';
export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/**
 * The real app on a fresh database, sending through a real SMTP server on loopback, with
 * its background workers running. Tests talk to it with supertest.
 */
export interface TestApp {
  app: Express;
  config: Config;
  db: Db;
  database: TestDatabase;
  smtp: SmtpSink;
  workers: Workers;
  /** A client that keeps cookies, as a browser does. */
  agent(): ReturnType<typeof request.agent>;
  admin(method: 'get' | 'post' | 'patch' | 'delete', path: string): request.Test;
  /** Waits for queued mail to be sent. */
  flushMail(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestApp(
  engine: Engine,
  env: Record<string, string> = {},
  delivery: Partial<Omit<DeliveryWorkerOptions, 'db' | 'config' | 'logger'>> = {},
): Promise<TestApp> {
  const database = await createTestDatabase(engine);
  const smtp = await startSmtpSink();
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: database.dataDir,
    BASE_URL: TEST_BASE_URL,
    SMTP_URL: smtp.url,
    ADMIN_TOKEN,
    SECRET: 'test-secret-abcdefghijklmnopqrstuvwxyz',
    PUBLIC_RATE_LIMIT: '0',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const logger = createLogger(config.logLevel);
  const workers = createWorkers({ config, db: database.db, logger, pollMs: 100, delivery: { pollMs: 100, retryBaseMs: 200, ...delivery } });
  workers.start();
  const app = createApp({ config, db: database.db, logger, mailQueued: () => workers.mailJobs.kick(), deliveryQueued: () => workers.delivery.kick() });
  return {
    app,
    config,
    db: database.db,
    database,
    smtp,
    workers,
    agent: () => request.agent(app),
    admin: (method, path) => request(app)[method](path).set('Authorization', `Bearer ${ADMIN_TOKEN}`),
    async flushMail() {
      workers.mailJobs.kick();
      await workers.mailJobs.idle();
    },
    async close() {
      await workers.stop();
      await smtp.close();
      await database.destroy();
    },
  };
}

/** The path and query of an absolute link from an email, to follow it against the app. */
export function localPath(link: string): string {
  const url = new URL(link);
  if (url.origin !== TEST_BASE_URL) throw new Error(`link points elsewhere: ${url.origin}`);
  return url.pathname + url.search;
}

/** The CSRF token from a page's form. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token on the page');
  return match[1];
}
