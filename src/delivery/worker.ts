import { randomBytes } from 'node:crypto';
import type { Config } from '../config';
import type { Db } from '../db';
import type { Logger } from '../logger';
import { createMailTransport, type MailTransport } from '../mail/transport';
import { claimSendable } from './claim';
import { createFailureStreakGuard } from './halt';
import { forEachConcurrently, groupCommit, sleep } from './lanes';
import { decideOutcome, DIGEST_RETRY, type RetryPolicy, type SendResult } from './outcome';
import { createPlanCache, type Person } from './plans';
import { finishDigestIfSettled, releaseDeliveries, type ClaimedDelivery } from './queries';
import { sendSlots } from './rate';
import { writeNextRecipientRange } from './recipients';
import { recordOutcomes, type SendOutcome } from './record';
import { recipientDetails } from '../subscribers/bounce-state';

/**
 * The digest sender, a pipeline: claim a batch → build each message from the digest's
 * precompiled MIME → send → record each outcome (group-committed per lane). Each pass first
 * writes the next range of a large digest's recipients (recipients.ts). Progress lives
 * in the deliveries table, where any process (this one after a restart, or another) picks
 * up what is left once a claim's lease lapses.
 */
export interface DeliveryWorkerOptions {
  db: Db;
  config: Config;
  logger: Logger;
  /** Rows claimed at a time; a second's worth at most when SEND_RATE is set. */
  batchSize?: number;
  /** How often to look for work when idle. */
  pollMs?: number;
  /** The first retry delay after a temporary failure (doubles each time). */
  retryBaseMs?: number;
  /** Temporary failures of one recipient before they count as failed. */
  maxAttempts?: number;
  /** Permanent failures in a row that pause a digest (a sign the sender, not the addresses, is wrong). */
  pauseAfterFailures?: number;
  /** Subscriber ids per range of recipients written ahead of sending (recipients.ts). */
  recipientRange?: number;
}

export function createDeliveryWorker(options: DeliveryWorkerOptions) {
  const { db, config, logger } = options;
  const workerId = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const retry: RetryPolicy = { ...DIGEST_RETRY, baseMs: options.retryBaseMs ?? DIGEST_RETRY.baseMs, maxAttempts: options.maxAttempts ?? DIGEST_RETRY.maxAttempts };
  const batchSize = config.sendRate > 0 ? Math.max(1, Math.min(options.batchSize ?? 200, Math.ceil(config.sendRate))) : (options.batchSize ?? 200);
  const fromAddress = /<([^>]+)>/.exec(config.mailFrom)?.[1] ?? config.mailFrom;
  const plans = createPlanCache(db, config);
  const streakGuard = createFailureStreakGuard(db, logger, options.pauseAfterFailures ?? 50);
  // Each lane reuses one buffer: the transport has written it out by the time a send resolves.
  const scratch: Buffer[] = [];
  let transport: MailTransport | null = null;

  /** Builds and sends one message; any error becomes the attempt's result. */
  async function send(row: ClaimedDelivery, person: Person | undefined, lane: number): Promise<SendResult> {
    try {
      const plan = await plans.get(row.digest_id, row.variant);
      if (!plan) throw new Error('digest not found');
      const { message, messageId } = plan.build(row, person, (scratch[lane] ??= Buffer.allocUnsafe(256 * 1024)));
      transport ??= createMailTransport(config);
      return { ok: true, response: (await transport.sendRaw({ from: fromAddress, to: row.email }, message, `<${messageId}>`)).response };
    } catch (err) {
      return { ok: false, error: err };
    }
  }

  /** One pass: claim → build → send → record. Returns how many rows it claimed. */
  async function runBatch(): Promise<number> {
    const { rows, claimed } = await claimSendable(db, workerId, batchSize, config.sendLeaseSeconds, new Date());
    if (!rows.length) return claimed;
    const people = new Map((await recipientDetails(db, rows.flatMap((r) => (r.subscriber_id ? [r.subscriber_id] : [])))).map((p) => [p.id, p]));
    const slot = await sendSlots(db, config.sendRate, rows.length, new Date());

    // Each outcome is recorded before its lane takes the next message, so a crash re-sends
    // at most one message per lane; lanes that finish together share one write. A few
    // messages per connection are in flight, each built just before it can go.
    const recorder = groupCommit<SendOutcome>((group) => recordOutcomes(db, group, new Date()));
    const results: SendOutcome[] = [];
    const halted = new Set<string>(); // digests paused during this batch: their remaining rows go back
    const untouched: number[] = [];
    await forEachConcurrently(rows, config.sendConcurrency * 2, async (row, i, lane) => {
      if (recorder.error) return; // the database is failing: leave the rest to the lease
      await slot(i);
      if (halted.has(row.digest_id)) return void untouched.push(row.id);
      const sent = await send(row, people.get(row.subscriber_id ?? -1), lane);
      const result = { row, outcome: decideOutcome(sent, row.attempts, retry, new Date()) };
      results.push(result);
      await recorder.record(result);
      await streakGuard.observe(result, halted);
    });
    if (recorder.error) throw recorder.error;
    await releaseDeliveries(db, untouched);
    await finishSettled(results);
    slowDownAfter(results);
    return claimed;
  }

  async function finishSettled(results: SendOutcome[]) {
    for (const digestId of new Set(results.map((r) => r.row.digest_id))) {
      if (await finishDigestIfSettled(db, digestId, new Date())) {
        plans.drop(digestId);
        logger.info({ digest: digestId }, 'digest send finished');
      }
    }
  }

  // Temporary trouble (retried, or given up after the last attempt) slows the whole sender
  // down; a clean batch lets it speed up again.
  let slowdownMs = 0;
  function slowDownAfter(results: SendOutcome[]) {
    const troubled = results.filter((r) => r.outcome.kind === 'retry' || r.outcome.kind === 'failed').length;
    slowdownMs = troubled ? Math.min(10_000, Math.max(250, slowdownMs * 2)) : Math.floor(slowdownMs / 4);
    if (troubled) logger.warn({ retried: troubled, slowdownMs }, 'temporary SMTP failures; slowing down');
  }

  const loop = pollingLoop(options.pollMs ?? 1000, async () => {
    let claimed = 0;
    let wrote = false;
    try {
      // A range of recipients per pass (20,000 against 200 sent) keeps writing far ahead of sending.
      wrote = await writeNextRecipientRange(db, new Date(), options.recipientRange);
      claimed = await runBatch();
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'delivery batch failed');
      await sleep(1000);
    }
    if (claimed === 0) {
      // Idle (or every send paused): hold no SMTP connection.
      transport?.close();
      transport = null;
    } else await sleep(slowdownMs);
    return claimed > 0 || wrote;
  });

  return {
    workerId,
    start: loop.start,
    /** Looks for work now (after a trigger, a resume or a retry). */
    kick: loop.kick,
    async stop() {
      await loop.stop();
      transport?.close();
      transport = null;
    },
  };
}

export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>;

/** Runs `pass` again and again; after a pass that found nothing, waits `pollMs` or a kick. */
function pollingLoop(pollMs: number, pass: () => Promise<boolean>) {
  let running = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  async function run() {
    while (running) {
      const busy = await pass();
      if (!running || busy) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, pollMs).unref();
      });
      wake = null;
    }
  }
  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    kick() {
      wake?.();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}
