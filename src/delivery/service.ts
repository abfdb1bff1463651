import { createHash } from 'node:crypto';
import { digestFeedback } from '../bounces/service';
import { digestClicks } from '../clicks/service';
import type { Config } from '../config';
import { isUniqueViolation, toDate, type Db } from '../db';
import { composeDigest, topicSlugsOf, type DigestTopicsInput } from '../digests/service';
import { AppError, conflict, notFound } from '../errors';
import { resolveTopic } from '../articles/service';
import { attachDigestToRequest, countDigests, deleteUnansweredRequest, findDigestRequest, insertDigestRequest, listDigestsPage, listDigestTopics } from '../digests/queries';
import { restoreBounced } from '../subscribers/bounce-state';
import {
  countDeliveries,
  countDeliveriesOfDigests,
  countRecipients,
  findDigestSendState,
  failedSubscriberIds,
  insertTestDeliveries,
  listRecentDeliveryErrors,
  requeueFailedDeliveries,
  startDigestSend,
  updateDigestSendState,
} from './queries';
import { fixRecipients, type FixedRecipients } from './recipients';
import type { DigestTrigger } from './schema';

/**
 * Starting and steering digest sends. Words: a digest is "sending" while workers may take
 * its rows, "paused" while they may not, and ends "sent", "cancelled" or "failed".
 */
export interface SendDeps {
  db: Db;
  config: Pick<Config, 'baseUrl' | 'orgName' | 'postalAddress' | 'secret' | 'trackClicks'>;
  /** Wakes this process's sender after rows became sendable. */
  deliveryQueued: () => void;
  /** Subscriber ids per range of recipients written (recipients.ts); tests make it small. */
  recipientRange?: number;
}

export interface TriggerAnswer {
  id: string;
  status: string;
  recipients: number;
}

/** What a trigger asks for: `{topic}` or `{topics}` (the API, a schedule), with the same options. */
export type TriggerInput = Omit<DigestTrigger, 'topic'> & DigestTopicsInput;

const requestHash = (input: TriggerInput) => {
  // A single topic hashes as it always did, whether asked as {topic} or {topics: [one]}.
  const slugs = topicSlugsOf(input);
  return createHash('sha256')
    .update(JSON.stringify([slugs.length === 1 ? slugs[0] : slugs, input.limit ?? null, input.subject ?? null, [...(input.testRecipients ?? [])].sort()]))
    .digest('hex');
};

async function answerFor(db: Db, digestId: string): Promise<TriggerAnswer> {
  const state = await findDigestSendState(db, digestId);
  if (!state) throw notFound('There is no digest with this id.');
  return { id: state.id, status: state.status, recipients: Number(state.recipients) };
}

/**
 * Claims an idempotency key for this request, or returns the digest an earlier request
 * with the same key made. A key first inserted with no digest marks a request in flight;
 * a concurrent twin waits for it to finish rather than sending a second digest.
 */
async function claimKey(db: Db, key: string, hash: string, now: Date): Promise<TriggerAnswer | null> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const existing = await findDigestRequest(db, key);
    if (existing) {
      if (existing.request_hash !== hash) {
        throw new AppError(422, 'idempotency_key_reused', 'This Idempotency-Key was used for a different request.');
      }
      if (existing.digest_id) return answerFor(db, existing.digest_id);
      if (Date.now() > deadline) throw conflict('A request with this Idempotency-Key is still being processed.', 'request_in_progress');
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    try {
      await insertDigestRequest(db, key, hash, now);
      return null;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }
}

/**
 * Composes the digest and fixes its recipients — every confirmed subscriber of its topic (of
 * any of its topics), each once: counted now, the first range written now and the rest by
 * the senders (recipients.ts) — then marks it sending. All of it commits together, so a
 * failed trigger leaves no digest and uses up no article. Called
 * by the HTTP route, the console, the CLI and schedules; 409 no_new_articles when nothing
 * is new.
 */
export async function triggerDigest(deps: SendDeps, input: TriggerInput, key: string | null = null, now = new Date()): Promise<TriggerAnswer> {
  const hash = requestHash(input);
  if (key) {
    const earlier = await claimKey(deps.db, key, hash, now);
    if (earlier) return earlier;
  }
  let digestId: string;
  try {
    const composed = await composeDigest(
      deps,
      { topics: topicSlugsOf(input), limit: input.limit, subject: input.subject, intro: input.intro, isTest: Boolean(input.testRecipients) },
      now,
      async (trx, digest) => {
        let fixed: FixedRecipients;
        if (input.testRecipients) {
          await insertTestDeliveries(trx, digest.id, [...new Set(input.testRecipients)], now);
          fixed = { recipients: await countRecipients(trx, digest.id), variants: [] };
        } else fixed = await fixRecipients(trx, { digestId: digest.id, topicId: digest.topicId, sectioned: digest.sectioned }, now, deps.recipientRange);
        // Nobody to send to: keep the articles for a digest someone will receive.
        if (!fixed.recipients) throw conflict('No confirmed subscriber receives this topic yet.', 'no_recipients');
        await startDigestSend(trx, digest.id, fixed.recipients, now);
        if (key) await attachDigestToRequest(trx, key, digest.id);
        return fixed.variants;
      },
    );
    digestId = composed.id;
  } catch (err) {
    if (key) await deleteUnansweredRequest(deps.db, key, hash);
    throw err;
  }
  deps.deliveryQueued();
  return answerFor(deps.db, digestId);
}

/** A send's progress and feedback; with `clicks` (TRACK_CLICKS on), its unique clicks per link too. */
export async function digestProgress(db: Db, digestId: string, options: { clicks?: boolean } = {}) {
  const state = await findDigestSendState(db, digestId);
  if (!state) throw notFound('There is no digest with this id.');
  const [counts, errors, topics] = await Promise.all([countDeliveries(db, digestId), listRecentDeliveryErrors(db, digestId), listDigestTopics(db, digestId)]);
  const feedback = await digestFeedback(db, digestId, counts.sent, state.started_at);
  const clicks = options.clicks ? ((await digestClicks(db, digestId)) ?? []) : undefined;
  return {
    id: state.id,
    status: state.status,
    subject: state.subject,
    topics: topics.map((t) => t.slug),
    test: Boolean(state.is_test),
    recipients: Number(state.recipients),
    counts: { ...counts, ...feedback.counts },
    warning: feedback.warning,
    startedAt: iso(state.started_at),
    finishedAt: iso(state.finished_at),
    reason: state.status_reason ?? null,
    lastErrors: errors.map((e) => ({ email: e.email, status: e.status, attempts: e.attempts, error: e.last_error })),
    ...(clicks ? { clicks } : {}),
  };
}

const iso = (value: unknown) => toDate(value)?.toISOString() ?? null;

/** Sends, newest first, each with its counts: GET /api/admin/digests and the console's list. */
export async function listDigestSends(db: Db, query: { topic?: string; page: number; pageSize: number }) {
  const filter = { topicId: query.topic ? (await resolveTopic(db, query.topic)).id : undefined };
  const [total, rows] = await Promise.all([countDigests(db, filter), listDigestsPage(db, filter, (query.page - 1) * query.pageSize, query.pageSize)]);
  const counts = await countDeliveriesOfDigests(db, rows.map((r) => r.id));
  const items = rows.map((row) => ({
    id: row.id,
    topic: row.topic_slug,
    topicName: row.topic_name,
    subject: row.subject,
    status: row.status,
    test: Boolean(row.is_test),
    recipients: Number(row.recipients),
    counts: counts.get(row.id)!,
    createdAt: iso(row.created_at),
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
  }));
  return { items, total, page: query.page, pageSize: query.pageSize };
}

async function move(db: Db, digestId: string, from: string[], patch: Record<string, unknown>, verb: string) {
  const state = await findDigestSendState(db, digestId);
  if (!state) throw notFound('There is no digest with this id.');
  const changed = await updateDigestSendState(db, digestId, from, patch);
  if (!changed) throw conflict(`A digest that is ${state.status} cannot be ${verb}.`, 'invalid_transition');
}

export const pauseDigest = (deps: SendDeps, id: string) =>
  move(deps.db, id, ['sending'], { status: 'paused', status_reason: 'Paused by an admin.' }, 'paused');

export async function resumeDigest(deps: SendDeps, id: string) {
  await move(deps.db, id, ['paused'], { status: 'sending', status_reason: null }, 'resumed');
  deps.deliveryQueued();
}

export const cancelDigest = (deps: SendDeps, id: string) =>
  move(deps.db, id, ['sending', 'paused', 'composed'], { status: 'cancelled', finished_at: new Date(), status_reason: 'Cancelled by an admin.' }, 'cancelled');

/** Puts only the failed recipients back in the queue, and the digest back to sending. */
export async function retryFailed(deps: SendDeps, id: string, now = new Date()): Promise<number> {
  const state = await findDigestSendState(deps.db, id);
  if (!state) throw notFound('There is no digest with this id.');
  if (state.status === 'cancelled') throw conflict('A cancelled digest cannot be retried.', 'invalid_transition');
  const requeued = await deps.db.transaction(async (trx) => {
    // retry-failed is an admin's judgement that the failures were not the addresses' fault.
    await restoreBounced(trx, failedSubscriberIds(trx, id), now);
    const n = await requeueFailedDeliveries(trx, id, now);
    if (n) await updateDigestSendState(trx, id, ['sent', 'failed', 'sending'], { status: 'sending', finished_at: null, status_reason: null });
    return n;
  });
  if (requeued) deps.deliveryQueued();
  return requeued;
}

