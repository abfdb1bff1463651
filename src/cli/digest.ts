import dotenv from 'dotenv';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config';
import { createDb, migrateLatest } from '../db';
import { digestProgress, triggerDigest } from '../delivery/service';
import { digestTrigger } from '../delivery/schema';
import { fieldErrors } from '../http/validate';
import { AppError } from '../errors';
import { createLogger } from '../logger';
import { createWorkers } from '../workers';

/**
 * `npm run digest -- --topic finance [--limit N] [--subject S] [--test a@x.com,b@y.com] [--no-wait]`
 * composes a digest, then sends it from this process (beside any running servers and
 * workers) with a live progress bar until the send ends. --no-wait only queues it.
 */
const USAGE = 'usage: npm run digest -- --topic <slug> [--limit N] [--subject "…"] [--test a@x.com,b@y.com] [--wait | --no-wait]';

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      topic: { type: 'string' },
      limit: { type: 'string' },
      subject: { type: 'string' },
      test: { type: 'string' },
      wait: { type: 'boolean', default: true },
      'no-wait': { type: 'boolean', default: false },
    },
    strict: true,
  }).values;
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`);
}

const input = digestTrigger.safeParse({
  topic: args.topic,
  ...(args.limit !== undefined ? { limit: Number(args.limit) } : {}),
  ...(args.subject !== undefined ? { subject: args.subject } : {}),
  ...(args.test ? { testRecipients: args.test.split(',').map((s) => s.trim()) } : {}),
});
if (!input.success) {
  fail(`${Object.entries(fieldErrors(input.error)).map(([k, v]) => `--${k === 'testRecipients' ? 'test' : k}: ${v}`).join('\n')}\n${USAGE}`);
}

dotenv.config({ quiet: true });
let config: Config;
try {
  config = loadConfig();
} catch (err) {
  fail(err instanceof ConfigError ? err.message : String(err));
}
const db = createDb(config);
await migrateLatest(db);
const workers = createWorkers({ config, db, logger: createLogger('silent') });

let answer;
try {
  answer = await triggerDigest({ db, config, deliveryQueued: () => workers.delivery.kick() }, input.data, null);
} catch (err) {
  await db.destroy();
  fail(err instanceof AppError ? `${err.message} (${err.code})` : `Could not create the digest: ${(err as Error).message}`);
}
console.log(`Digest ${answer.id}: ${answer.recipients} recipient(s). View it at ${config.baseUrl}/digests/${answer.id}`);

if (!args.wait || args['no-wait']) {
  console.log('Queued; running servers and workers will send it.');
  await db.destroy();
  process.exit(0);
}

workers.delivery.start();
const tty = process.stdout.isTTY;
const started = Date.now();
let lastLine = 0;
for (;;) {
  const progress = await digestProgress(db, answer.id);
  const done = progress.counts.sent + progress.counts.failed;
  const elapsed = (Date.now() - started) / 1000;
  const rate = elapsed > 0 ? progress.counts.sent / elapsed : 0;
  const left = rate > 0 ? Math.ceil((progress.recipients - done) / rate) : null;
  const line = progressLine(progress.recipients, progress.counts.sent, progress.counts.failed, rate, left, progress.status);
  const finished = !['sending', 'composed'].includes(progress.status);
  if (tty) process.stdout.write(`\r${line}\x1b[K`);
  else if (finished || Date.now() - lastLine > 2000) {
    console.log(line);
    lastLine = Date.now();
  }
  if (finished) {
    if (tty) process.stdout.write('\n');
    if (progress.reason) console.log(progress.reason);
    await workers.delivery.stop();
    await db.destroy();
    process.exit(progress.status === 'sent' ? 0 : 1);
  }
  await new Promise((r) => setTimeout(r, 200));
}

function progressLine(total: number, sent: number, failed: number, rate: number, secondsLeft: number | null, status: string) {
  const width = 30;
  const share = total ? (sent + failed) / total : 1;
  const filled = Math.round(share * width);
  const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
  const eta = secondsLeft === null ? '' : ` · ${secondsLeft}s left`;
  return `[${bar}] ${Math.round(share * 100)}% ${sent}/${total} sent · ${failed} failed · ${Math.round(rate)}/s${status === 'sending' ? eta : ` · ${status}`}`;
}
