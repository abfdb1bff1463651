import { createHash, randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type { Config } from '../config';
import type { Db } from '../db';
import { toDate } from '../db';
import { validationFailed } from '../errors';
import { insertMailJobs } from '../mail/job-queries';
import { DAY, signToken, verifyToken, type TokenPurpose } from '../tokens';
import { findTopicsBySlugs, type Topic } from '../topics/queries';
import {
  deleteSuppression,
  findSubscriberByEmail,
  findSubscriberById,
  insertSubscriber,
  listSubscribersAfter,
  listSubscribersPage,
  listSubscriberTopicIdsByEmail,
  listSubscriberTopicSlugs,
  listTopicSlugsForSubscribers,
  replaceSubscriberTopics,
  updateSubscriber,
  updateSubscriberIfNonce,
  type SubscriberFilter,
  type SubscriberRow,
} from './queries';
import { CONSENT, type subscriberListQuery, type SubscriptionInput } from './schema';

/**
 * The rules of double opt-in. Takes and returns plain values; the routes turn them into
 * pages and JSON. Words: "pending" has asked but not confirmed; "confirmed" receives
 * digests; "unsubscribed" left; "bounced" is an address the mail server refused.
 */

export interface SubscriberDeps {
  db: Db;
  config: Pick<Config, 'secret' | 'baseUrl'>;
  /** Wakes the mail sender after mail was queued. */
  mailQueued: () => void;
}

export const CONFIRMATION_MAIL = 'subscription_confirmation';
export const WELCOME_MAIL = 'subscription_welcome';
const RESEND_AFTER_MS = 10 * 60_000;
const CONFIRM_TTL = 7 * DAY;
const MANAGE_TTL = 365 * DAY;
export const DEFAULT_TOPIC = 'finance';

export const newNonce = () => randomBytes(12).toString('base64url');

/** The suppression list keeps only this hash of an erased address. */
export const emailHash = (email: string) => createHash('sha256').update(email.trim().toLowerCase().normalize('NFC')).digest('hex');

export async function resolveTopics(db: Db, slugs: string[]): Promise<Topic[]> {
  const wanted = slugs.length ? slugs : [DEFAULT_TOPIC];
  const topics = await findTopicsBySlugs(db, wanted);
  if (topics.length !== wanted.length) {
    const known = new Set(topics.map((t) => t.slug));
    const unknown = wanted.filter((s) => !known.has(s));
    throw validationFailed({ topics: `Unknown topic: ${unknown.join(', ')}. Choose topics from the list.` });
  }
  return topics;
}

/**
 * Records a request to subscribe. Whatever the address's state, the caller answers the
 * same way, and this does the same work before the answer: one lookup of the address and
 * its topics, one write of its row, its topics replaced, one mail job inserted. Only the
 * values differ: a confirmed reader's row and topics are written back as they were, and a
 * confirmation that is not due (already confirmed, or sent under 10 minutes ago) is
 * recorded as a dropped job instead of a queued one. So neither the answer nor its timing
 * tells a visitor whether an address is known.
 */
export async function requestSubscription(deps: SubscriberDeps, input: SubscriptionInput, source: 'form' | 'api'): Promise<void> {
  const topics = await resolveTopics(deps.db, input.topics);
  const now = new Date();
  const consent = { consent_at: now, consent_version: CONSENT.version, consent_source: source, consent_note: null };

  await deps.db.transaction(async (trx) => {
    const existing = await findSubscriberByEmail(trx, input.email);
    const currentTopicIds = await listSubscriberTopicIdsByEmail(trx, input.email);
    let id: number;
    let topicIds = topics.map((t) => t.id);
    let send = true;

    if (existing?.status === 'confirmed') {
      // Already receiving: nothing changes and nothing is sent; an unproven request may not change their topics.
      id = existing.id;
      await updateSubscriber(trx, id, { updated_at: existing.updated_at });
      topicIds = currentTopicIds;
      send = false;
    } else if (existing?.status === 'pending') {
      id = existing.id;
      const lastSent = toDate(existing.confirmation_sent_at);
      send = !lastSent || now.getTime() - lastSent.getTime() >= RESEND_AFTER_MS;
      await updateSubscriber(trx, id, {
        name: input.name ?? existing.name,
        ...consent,
        confirmation_sent_at: send ? now : existing.confirmation_sent_at,
        updated_at: now,
      });
    } else {
      // New, or coming back after leaving or bouncing: start over with a fresh confirmation.
      const fresh = {
        name: input.name,
        status: 'pending' as const,
        token_nonce: newNonce(),
        ...consent,
        confirmation_sent_at: now,
        confirmed_at: null,
        unsubscribed_at: null,
        bounced_at: null,
        updated_at: now,
      };
      if (existing) {
        id = existing.id;
        await updateSubscriber(trx, id, fresh);
      } else {
        id = await insertSubscriber(trx, { email: input.email, ...fresh, created_at: now });
      }
    }
    await replaceSubscriberTopics(trx, id, topicIds);
    await insertMailJobs(trx, [{ kind: CONFIRMATION_MAIL, subscriber_id: id, status: send ? 'queued' : 'dropped' }], now);
  });
  deps.mailQueued();
}

export function linkFor(deps: Pick<SubscriberDeps, 'config'>, subscriber: Pick<SubscriberRow, 'id' | 'token_nonce'>, purpose: TokenPurpose) {
  const ttl = purpose === 'confirm' ? CONFIRM_TTL : MANAGE_TTL;
  const token = signToken(deps.config.secret, { purpose, subject: String(subscriber.id), nonce: subscriber.token_nonce }, ttl);
  const page = purpose === 'confirm' ? 'confirm' : purpose === 'unsubscribe' ? 'unsubscribe' : 'preferences';
  return `${deps.config.baseUrl}/newsletter/${page}?token=${encodeURIComponent(token)}`;
}

export type TokenProblem = 'invalid' | 'expired' | 'used';
/** A used link also says where its subscriber stands now, so the page can tell the truth. */
export type Resolved = { ok: true; subscriber: SubscriberRow } | { ok: false; problem: TokenProblem; now?: SubscriberRow['status'] };

const ACTIVE_STATES: Partial<Record<TokenPurpose, SubscriberRow['status'][]>> = {
  confirm: ['pending'],
  unsubscribe: ['pending', 'confirmed'],
  preferences: ['confirmed'],
};

/**
 * Finds the subscriber a link acts for. A token whose nonce no longer matches (the state
 * changed since it was sent) or whose row is gone counts as used.
 */
export async function resolveToken(deps: SubscriberDeps, token: unknown, purpose: TokenPurpose): Promise<Resolved> {
  const check = verifyToken(deps.config.secret, token, purpose);
  if (!check.ok) return { ok: false, problem: check.reason };
  const id = Number(check.claims.subject);
  const subscriber = Number.isSafeInteger(id) ? await findSubscriberById(deps.db, id) : undefined;
  if (!subscriber || subscriber.token_nonce !== check.claims.nonce || !(ACTIVE_STATES[purpose] ?? []).includes(subscriber.status)) {
    return { ok: false, problem: 'used', now: subscriber?.status };
  }
  return { ok: true, subscriber };
}

export async function confirmSubscription(deps: SubscriberDeps, token: unknown): Promise<Resolved> {
  const found = await resolveToken(deps, token, 'confirm');
  if (!found.ok) return found;
  const now = new Date();
  const nonce = newNonce();
  const changed = await deps.db.transaction(async (trx) => {
    const n = await updateSubscriberIfNonce(trx, found.subscriber.id, found.subscriber.token_nonce, {
      status: 'confirmed',
      token_nonce: nonce,
      confirmed_at: now,
      updated_at: now,
    });
    if (n) {
      // A confirmed opt-in is the new consent that lifts an earlier erasure's suppression.
      await deleteSuppression(trx, emailHash(found.subscriber.email));
      await insertMailJobs(trx, [{ kind: WELCOME_MAIL, subscriber_id: found.subscriber.id }], now);
    }
    return n;
  });
  if (!changed) return { ok: false, problem: 'used', now: (await findSubscriberById(deps.db, found.subscriber.id))?.status };
  deps.mailQueued();
  return { ok: true, subscriber: { ...found.subscriber, status: 'confirmed', token_nonce: nonce } };
}

/** Unsubscribes the person a token names; `purpose` is the link they followed. */
export async function unsubscribe(deps: SubscriberDeps, token: unknown, purpose: 'unsubscribe' | 'preferences' = 'unsubscribe'): Promise<Resolved> {
  const found = await resolveToken(deps, token, purpose);
  if (!found.ok) return found;
  const now = new Date();
  const changed = await updateSubscriberIfNonce(deps.db, found.subscriber.id, found.subscriber.token_nonce, {
    status: 'unsubscribed',
    token_nonce: newNonce(),
    unsubscribed_at: now,
    updated_at: now,
  });
  if (!changed) return { ok: false, problem: 'used' };
  return { ok: true, subscriber: { ...found.subscriber, status: 'unsubscribed' } };
}

export async function updateTopics(deps: SubscriberDeps, subscriber: SubscriberRow, slugs: string[]): Promise<Topic[]> {
  if (!slugs.length) throw validationFailed({ topics: 'Choose at least one topic, or unsubscribe below.' });
  const topics = await resolveTopics(deps.db, slugs);
  await deps.db.transaction(async (trx) => {
    await replaceSubscriberTopics(trx, subscriber.id, topics.map((t) => t.id));
    await updateSubscriber(trx, subscriber.id, { updated_at: new Date() });
  });
  return topics;
}

export const topicSlugsOf = (deps: SubscriberDeps, subscriber: SubscriberRow) => listSubscriberTopicSlugs(deps.db, subscriber.id);

// ── Lists for admins (the API and the console) ──────────────────────────────────────────

const iso = (value: unknown) => toDate(value)?.toISOString() ?? null;

export function subscriberView(row: SubscriberRow, topics: string[]) {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    status: row.status,
    topics,
    consent: { at: iso(row.consent_at), version: row.consent_version, source: row.consent_source, note: row.consent_note },
    createdAt: iso(row.created_at),
    confirmedAt: iso(row.confirmed_at),
    unsubscribedAt: iso(row.unsubscribed_at),
    bouncedAt: iso(row.bounced_at),
  };
}

export type SubscriberView = ReturnType<typeof subscriberView>;

export const subscriberFilterOf = (query: z.output<typeof subscriberListQuery>): SubscriberFilter => ({
  status: query.status,
  topic: query.topic,
  q: query.q || undefined,
});

/** One page of the filtered list, each with its topics. */
async function withTopics(db: Db, rows: SubscriberRow[]): Promise<SubscriberView[]> {
  const topics = await listTopicSlugsForSubscribers(db, rows.map((r) => r.id));
  return rows.map((row) => subscriberView(row, topics.get(row.id) ?? []));
}

export async function listSubscriberViews(db: Db, filter: SubscriberFilter, offset: number, limit: number): Promise<SubscriberView[]> {
  return withTopics(db, await listSubscribersPage(db, filter, offset, limit));
}

/**
 * Every subscriber the filter matches, by id, read a page at a time after the last id seen
 * (not by OFFSET, which re-reads all earlier rows and makes a whole export quadratic).
 * The next page is read only when the consumer asks for it.
 */
export async function* eachSubscriberView(db: Db, filter: SubscriberFilter, pageSize = 1000): AsyncGenerator<SubscriberView> {
  for (let afterId = 0; ; ) {
    const rows = await listSubscribersAfter(db, filter, afterId, pageSize);
    yield* await withTopics(db, rows);
    if (rows.length < pageSize) return;
    afterId = rows[rows.length - 1].id;
  }
}
