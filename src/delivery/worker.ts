import { randomBytes } from 'node:crypto';
import type { Config } from '../config';
import type { Db } from '../db';
import { placeholderPattern, slotValues } from '../digests/render';
import type { Logger } from '../logger';
import { createMailTransport, type MailTransport } from '../mail/transport';
import { linkFor } from '../subscribers/service';
import { compileDigestMessage, digestMessageId, domainOf, type MessageTemplate } from './mime';
import {
  claimDeliveryBatch,
  failDeliveries,
  findDigestForSending,
  finishDigestIfSettled,
  listDigestStatuses,
  listRecipientDetails,
  markDeliveriesSent,
  markSubscribersBounced,
  releaseDeliveries,
  rescheduleDeliveries,
  reserveSendSlots,
  updateDigestSendState,
  type ClaimedDelivery,
} from './queries';
import { decideOutcome, DIGEST_RETRY, type DeliveryOutcome, type RetryPolicy, type SendResult } from './outcome';

/**
 * The digest sender, a pipeline: claim a batch → build each message from the digest's
 * precompiled MIME → send over the pooled connection → record the batch's outcomes in a
 * few set-based writes. Progress lives in the deliveries table, where any process (this
 * one after a restart, or another) picks up what is left once a claim's lease lapses.
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
}

interface DigestPlan {
  template: MessageTemplate;
}

export function createDeliveryWorker(options: DeliveryWorkerOptions) {
  const { db, config, logger } = options;
  const workerId = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const pollMs = options.pollMs ?? 1000;
  const retry: RetryPolicy = { ...DIGEST_RETRY, baseMs: options.retryBaseMs ?? DIGEST_RETRY.baseMs, maxAttempts: options.maxAttempts ?? DIGEST_RETRY.maxAttempts };
  const pauseAfter = options.pauseAfterFailures ?? 50;
  const batchSize = config.sendRate > 0 ? Math.max(1, Math.min(options.batchSize ?? 200, Math.ceil(config.sendRate))) : (options.batchSize ?? 200);
  const fromAddress = /<([^>]+)>/.exec(config.mailFrom)?.[1] ?? config.mailFrom;
  const domain = domainOf(config.mailFrom);

  let transport: MailTransport | null = null;
  const plans = new Map<string, DigestPlan>();
  const scratch: Buffer[] = [];
  const permanentStreak = new Map<string, number>();
  let slowdownMs = 0;
  let running = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;

  async function planFor(digestId: string): Promise<DigestPlan | null> {
    const cached = plans.get(digestId);
    if (cached) return cached;
    const digest = await findDigestForSending(db, digestId);
    if (!digest) return null;
    const plan = {
      template: compileDigestMessage({
        from: config.mailFrom,
        subject: digest.subject,
        listId: `"${config.orgName}: ${digest.topic_name}" <${digest.topic_slug}.newsletter.${domain}>`,
        html: digest.html,
        text: digest.text,
        placeholder: placeholderPattern(digest.placeholder_key),
      }),
    };
    plans.set(digestId, plan);
    return plan;
  }

  /** One pass: claim, build, send, record. Returns how many rows it claimed. */
  async function runBatch(): Promise<number> {
    const now = new Date();
    const claimed = await claimDeliveryBatch(db, workerId, batchSize, new Date(now.getTime() + config.sendLeaseSeconds * 1000), now);
    if (!claimed.length) return 0;

    // A pause or cancel that landed after the claim: give those rows back untouched.
    const digestIds = [...new Set(claimed.map((c) => c.digest_id))];
    const sending = new Set((await listDigestStatuses(db, digestIds)).filter((d) => d.status === 'sending').map((d) => d.id));
    const stale = claimed.filter((c) => !sending.has(c.digest_id));
    await releaseDeliveries(db, stale.map((c) => c.id));
    const rows = claimed.filter((c) => sending.has(c.digest_id));
    if (!rows.length) return claimed.length;

    const people = new Map((await listRecipientDetails(db, rows.flatMap((r) => (r.subscriber_id ? [r.subscriber_id] : [])))).map((p) => [p.id, p]));
    const startAt = config.sendRate > 0 ? await reserveSendSlots(db, rows.length, config.sendRate, now) : null;
    transport ??= createMailTransport(config);
    const mailer = transport;

    // Each outcome is recorded before its lane takes the next message, so a crash re-sends
    // at most one message per lane; lanes that finish together share one write.
    const results: Result[] = [];
    const recorder = groupCommitRecorder<Result>((group) => recordOutcomes(group, new Date()));
    // A few messages per connection in flight: each is built just before it can go, so
    // memory holds a handful of messages, not the whole batch.
    const halted = new Set<string>(); // digests paused during this batch: their remaining rows go back
    const untouched: number[] = [];
    await forEachConcurrently(rows, config.sendConcurrency * 2, async (row, i, lane) => {
      if (recorder.error) return; // the database is failing: leave the rest to the lease
      if (startAt) await sleep(startAt.getTime() + (i * 1000) / config.sendRate - Date.now());
      if (halted.has(row.digest_id)) {
        untouched.push(row.id);
        return;
      }
      let sent: SendResult;
      try {
        const plan = await planFor(row.digest_id);
        if (!plan) throw new Error('digest not found');
        const values = personalValues(row, people.get(row.subscriber_id ?? -1));
        // Each lane reuses one buffer: Nodemailer has written it out by the time the send resolves.
        const message = plan.template.build(values, (scratch[lane] ??= Buffer.allocUnsafe(256 * 1024)));
        sent = { ok: true, response: (await mailer.sendRaw({ from: fromAddress, to: row.email }, message, `<${values.messageId}>`)).response };
      } catch (err) {
        sent = { ok: false, error: err };
      }
      const result: Result = { row, outcome: decideOutcome(sent, row.attempts, retry, new Date()) };
      results.push(result);
      await recorder.record(result);
      await watchPermanentStreak(result, halted);
    });
    if (recorder.error) throw recorder.error;
    await releaseDeliveries(db, untouched);
    await afterBatch(results, new Date());
    return claimed.length;
  }

  function personalValues(row: ClaimedDelivery, person: { id: number; name: string | null; token_nonce: string } | undefined) {
    // Test recipients are not subscribers: their links lead to the signup page.
    const unsubscribeUrl = person ? linkFor({ config }, person, 'unsubscribe') : `${config.baseUrl}/newsletter`;
    const preferencesUrl = person ? linkFor({ config }, person, 'preferences') : `${config.baseUrl}/newsletter`;
    return {
      to: row.email,
      unsubscribeUrl,
      messageId: digestMessageId(config.secret, row.digest_id, row.email, domain),
      slots: slotValues({ name: person?.name ?? null, unsubscribeUrl, preferencesUrl }),
    };
  }

  type Result = { row: ClaimedDelivery; outcome: DeliveryOutcome };

  async function recordOutcomes(results: Result[], now: Date) {
    const sent: { id: number; response: string }[] = [];
    const retried: { id: number; error: string; nextAttemptAt: Date }[] = [];
    const failed: { id: number; error: string }[] = [];
    const bounced: number[] = [];
    for (const { row, outcome } of results) {
      if (outcome.kind === 'accepted') {
        sent.push({ id: row.id, response: outcome.response });
      } else if (outcome.kind === 'bounced') {
        failed.push({ id: row.id, error: outcome.reason });
        if (row.subscriber_id) bounced.push(row.subscriber_id);
      } else if (outcome.kind === 'failed') {
        failed.push({ id: row.id, error: outcome.reason });
      } else {
        retried.push({ id: row.id, error: outcome.reason, nextAttemptAt: outcome.at });
      }
    }
    await db.transaction(async (trx) => {
      await markDeliveriesSent(trx, sent, now);
      await rescheduleDeliveries(trx, retried);
      await failDeliveries(trx, failed);
      await markSubscribersBounced(trx, bounced, now);
    });
  }

  /**
   * Many permanent failures in a row mean the sender, not the addresses, is at fault (a
   * blocked IP, a wrong relay): pause the digest at once, with the last reply as the reason,
   * rather than bounce every subscriber.
   */
  async function watchPermanentStreak(result: Result, halted: Set<string>) {
    const digestId = result.row.digest_id;
    const { outcome } = result;
    if (outcome.kind !== 'bounced') {
      if (outcome.kind === 'accepted') permanentStreak.set(digestId, 0);
      return;
    }
    const streak = (permanentStreak.get(digestId) ?? 0) + 1;
    permanentStreak.set(digestId, streak);
    if (streak < pauseAfter || halted.has(digestId)) return;
    halted.add(digestId);
    permanentStreak.set(digestId, 0);
    await updateDigestSendState(db, digestId, ['sending'], {
      status: 'paused',
      status_reason: `Paused after ${streak} permanent failures in a row; last reply: ${outcome.reason}`,
    });
    logger.error({ digest: digestId, streak }, 'digest paused after consecutive failures');
  }

  async function afterBatch(results: Result[], now: Date) {
    // Temporary trouble: retried, or given up on after the last attempt.
    const retried = results.filter((r) => r.outcome.kind === 'retry' || r.outcome.kind === 'failed').length;
    // Temporary trouble slows the whole sender down; a clean batch lets it speed up again.
    slowdownMs = retried ? Math.min(10_000, Math.max(250, slowdownMs * 2)) : Math.floor(slowdownMs / 4);
    if (retried) logger.warn({ retried, slowdownMs }, 'temporary SMTP failures; slowing down');

    for (const digestId of new Set(results.map((r) => r.row.digest_id))) {
      if (await finishDigestIfSettled(db, digestId, now)) {
        plans.delete(digestId);
        logger.info({ digest: digestId }, 'digest send finished');
      }
    }
  }

  async function run() {
    while (running) {
      let claimed = 0;
      try {
        claimed = await runBatch();
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'delivery batch failed');
        await sleep(1000);
      }
      if (!running) break;
      if (claimed === 0) {
        // Idle (or every send paused): hold no SMTP connection.
        transport?.close();
        transport = null;
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, pollMs).unref();
        });
        wake = null;
      } else if (slowdownMs) {
        await sleep(slowdownMs);
      }
    }
  }

  return {
    workerId,
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    /** Looks for work now (after a trigger, a resume or a retry). */
    kick() {
      wake?.();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
      transport?.close();
      transport = null;
    },
  };
}

export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>;

/** Runs `work` over `items` with at most `limit` at a time. */
async function forEachConcurrently<T>(items: T[], limit: number, work: (item: T, index: number, lane: number) => Promise<void>) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async (_, lane) => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index, lane);
    }
  });
  await Promise.all(lanes);
}

/**
 * Group commit: a lane hands in its outcome and waits until it is written. One writer at a
 * time; whatever lanes hand in while a write runs goes in the next one, so there is a write
 * per flush, not per message, and never more outcomes unwritten than there are lanes.
 * A failed write is kept in `error` (the rows stay claimed until their lease lapses).
 */
function groupCommitRecorder<T>(write: (group: T[]) => Promise<void>) {
  let pending: { item: T; done: () => void }[] = [];
  let writing = false;
  const recorder = {
    error: null as Error | null,
    record(item: T): Promise<void> {
      return new Promise<void>((done) => {
        pending.push({ item, done });
        if (!writing) void drain();
      });
    },
  };
  async function drain() {
    writing = true;
    while (pending.length) {
      const group = pending;
      pending = [];
      try {
        if (!recorder.error) await write(group.map((p) => p.item));
      } catch (err) {
        recorder.error = err as Error;
      }
      for (const p of group) p.done();
    }
    writing = false;
  }
  return recorder;
}

const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());
