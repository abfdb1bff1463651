import type { Knex } from 'knex';
import type { Db } from '../db';
import type { SubscriberStatus } from './schema';

/** The subscribers' SQL, one named function per statement. */

export interface SubscriberRow {
  id: number;
  email: string;
  name: string | null;
  status: SubscriberStatus;
  token_nonce: string;
  consent_at: unknown;
  consent_version: string;
  consent_source: string;
  consent_note: string | null;
  confirmation_sent_at: unknown;
  confirmed_at: unknown;
  unsubscribed_at: unknown;
  bounced_at: unknown;
  created_at: unknown;
  updated_at: unknown;
}

type Conn = Db | Knex.Transaction;

export function findSubscriberByEmail(db: Conn, email: string): Promise<SubscriberRow | undefined> {
  return db('subscribers').where({ email }).first();
}

export function findSubscriberById(db: Conn, id: number): Promise<SubscriberRow | undefined> {
  return db('subscribers').where({ id }).first();
}

export async function insertSubscriber(db: Conn, row: Omit<SubscriberRow, 'id'>): Promise<number> {
  const [inserted] = await db('subscribers').insert(row).returning('id');
  return typeof inserted === 'object' ? inserted.id : inserted;
}

export function updateSubscriber(db: Conn, id: number, patch: Partial<SubscriberRow>) {
  return db('subscribers').where({ id }).update(patch);
}

/** Changes a row only if it is still in the state the caller read (a lost race changes nothing). */
export function updateSubscriberIfNonce(db: Conn, id: number, nonce: string, patch: Partial<SubscriberRow>): Promise<number> {
  return db('subscribers').where({ id, token_nonce: nonce }).update(patch);
}

export async function replaceSubscriberTopics(db: Conn, subscriberId: number, topicIds: number[]) {
  await db('subscriber_topics').where({ subscriber_id: subscriberId }).delete();
  if (topicIds.length) {
    await db('subscriber_topics').insert(topicIds.map((topic_id) => ({ subscriber_id: subscriberId, topic_id })));
  }
}

export async function listSubscriberTopicIdsByEmail(db: Conn, email: string): Promise<number[]> {
  const rows: { topic_id: number }[] = await db('subscriber_topics')
    .join('subscribers', 'subscribers.id', 'subscriber_topics.subscriber_id')
    .where('subscribers.email', email)
    .orderBy('subscriber_topics.topic_id')
    .select('subscriber_topics.topic_id');
  return rows.map((r) => r.topic_id);
}

export async function listSubscriberTopicSlugs(db: Conn, subscriberId: number): Promise<string[]> {
  const rows = await db('subscriber_topics')
    .join('topics', 'topics.id', 'subscriber_topics.topic_id')
    .where('subscriber_topics.subscriber_id', subscriberId)
    .orderBy('topics.position')
    .select('topics.slug');
  return rows.map((r: { slug: string }) => r.slug);
}

export function deleteSubscriber(db: Conn, id: number) {
  return db('subscribers').where({ id }).delete();
}

export interface SubscriberFilter {
  status?: SubscriberStatus;
  topic?: string;
  /** Part of the address or the name, in any case. */
  q?: string;
}

/** `text` as a LIKE pattern that matches it anywhere, its own % and _ taken literally. */
const containsPattern = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The topic's id, as a subquery. */
const topicIdOf = (db: Conn, slug: string) => db('topics').select('id').where('slug', slug);

/**
 * The ids of a topic's members (of one status), from the (topic_id, status, subscriber_id)
 * index alone: a membership carries its subscriber's status, kept by the database.
 */
function topicMembers(db: Conn, filter: SubscriberFilter & { topic: string }, afterId?: number) {
  const members = db('subscriber_topics').select('subscriber_topics.subscriber_id').where('subscriber_topics.topic_id', topicIdOf(db, filter.topic));
  if (filter.status) members.where('subscriber_topics.status', filter.status);
  if (afterId !== undefined) members.where('subscriber_topics.subscriber_id', '>', afterId);
  return members;
}

/** `afterId`: only ids above it, told to the topic's subquery too so it reads its index from there. */
function filteredSubscribers(db: Conn, filter: SubscriberFilter, afterId?: number) {
  const query = db('subscribers');
  if (afterId !== undefined) query.where('subscribers.id', '>', afterId);
  if (filter.status) query.where('subscribers.status', filter.status);
  if (filter.q) {
    // lower() on both sides: PostgreSQL's LIKE is case-sensitive, SQLite's is not.
    const pattern = containsPattern(filter.q);
    query.where((w) =>
      w.whereRaw(`subscribers.email like ? escape '\\'`, [pattern]).orWhereRaw(`lower(subscribers.name) like ? escape '\\'`, [pattern]),
    );
  }
  if (filter.topic) query.whereIn('subscribers.id', topicMembers(db, { ...filter, topic: filter.topic }, afterId));
  return query;
}

/** Without a search, a topic's page is read from its index range, never from the table. */
const byTopicOnly = (filter: SubscriberFilter): filter is SubscriberFilter & { topic: string } => Boolean(filter.topic && !filter.q);

export async function countSubscribers(db: Conn, filter: SubscriberFilter): Promise<number> {
  if (!filter.q) return countKept(db, filter);
  const query = filteredSubscribers(db, filter);
  const [{ n }] = await query.count({ n: '*' });
  return Number(n);
}

export function listSubscribersPage(db: Conn, filter: SubscriberFilter, offset: number, limit: number): Promise<SubscriberRow[]> {
  if (byTopicOnly(filter)) {
    // The page's ids from the index (however deep the page), then those rows.
    const ids = topicMembers(db, filter).orderBy('subscriber_topics.subscriber_id').offset(offset).limit(limit);
    return db('subscribers').whereIn('id', ids).select('subscribers.*').orderBy('subscribers.id');
  }
  return filteredSubscribers(db, filter).select('subscribers.*').orderBy('subscribers.id').offset(offset).limit(limit);
}

/** The next `limit` subscribers after id `afterId`, by id: an export reads the whole list this way at a constant cost per page. */
export function listSubscribersAfter(db: Conn, filter: SubscriberFilter, afterId: number, limit: number): Promise<SubscriberRow[]> {
  return filteredSubscribers(db, filter, afterId).select('subscribers.*').orderBy('subscribers.id').limit(limit);
}

/** Topic slugs of many subscribers at once, for a page of a listing. */
export async function listTopicSlugsForSubscribers(db: Conn, ids: number[]): Promise<Map<number, string[]>> {
  const byId = new Map<number, string[]>(ids.map((id) => [id, []]));
  if (!ids.length) return byId;
  const rows: { subscriber_id: number; slug: string }[] = await db('subscriber_topics')
    .join('topics', 'topics.id', 'subscriber_topics.topic_id')
    .whereIn('subscriber_topics.subscriber_id', ids)
    .orderBy('topics.position')
    .select('subscriber_topics.subscriber_id', 'topics.slug');
  for (const row of rows) byId.get(row.subscriber_id)?.push(row.slug);
  return byId;
}

export function findSuppression(db: Conn, emailHash: string) {
  return db('suppressions').where({ email_hash: emailHash }).first();
}

export function insertSuppression(db: Conn, emailHash: string, reason: string) {
  return db('suppressions').insert({ email_hash: emailHash, reason, created_at: new Date() }).onConflict('email_hash').ignore();
}

export function deleteSuppression(db: Conn, emailHash: string) {
  return db('suppressions').where({ email_hash: emailHash }).delete();
}

// Bulk statements for imports: each takes a chunk of rows, never one row at a time.

export function findSubscribersByEmails(db: Conn, emails: string[]): Promise<Pick<SubscriberRow, 'id' | 'email' | 'status' | 'name'>[]> {
  return db('subscribers').select('id', 'email', 'status', 'name').whereIn('email', emails);
}

export async function findSuppressedHashes(db: Conn, hashes: string[]): Promise<Set<string>> {
  const rows: { email_hash: string }[] = await db('suppressions').select('email_hash').whereIn('email_hash', hashes);
  return new Set(rows.map((r) => r.email_hash));
}

export function insertSubscribers(db: Conn, rows: Omit<SubscriberRow, 'id'>[]) {
  return db.batchInsert('subscribers', rows, 500);
}

export function insertSubscriberTopicsIgnoringDuplicates(db: Conn, pairs: { subscriber_id: number; topic_id: number }[]) {
  if (!pairs.length) return Promise.resolve();
  return db('subscriber_topics').insert(pairs).onConflict(['subscriber_id', 'topic_id']).ignore();
}

/** Past this many rows of kept changes, a reader folds them into one row per count. */
export const SUBSCRIBER_COUNT_ROWS_BEFORE_FOLDING = 100;

interface KeptCount {
  topic_id: number | null;
  status: string;
  n: number;
}

/**
 * Every subscriber's and every topic's count per status, from the changes the database
 * keeps in subscriber_counts (migration 20261204120000), never by counting the tables.
 */
async function keptCounts(db: Conn): Promise<KeptCount[]> {
  const rows: { topic_id: number | null; status: string; n: number | string; changes: number | string }[] = await db('subscriber_counts')
    .groupBy('topic_id', 'status')
    .select('topic_id', 'status', db.raw('sum(n) as n'), db.raw('count(*) as changes'));
  if (rows.reduce((sum, r) => sum + Number(r.changes), 0) > SUBSCRIBER_COUNT_ROWS_BEFORE_FOLDING) await foldSubscriberCounts(db);
  return rows.map((r) => ({ topic_id: r.topic_id === null ? null : Number(r.topic_id), status: r.status, n: Number(r.n) }));
}

/** How many subscribers have each status (a status nobody has is left out). */
export async function countSubscribersByStatus(db: Conn): Promise<Map<string, number>> {
  const counts = (await keptCounts(db)).filter((c) => c.topic_id === null && c.n !== 0);
  return new Map(counts.map((c) => [c.status, c.n]));
}

/** How many subscribers there are (of one status, in one topic), from the kept counts. */
async function countKept(db: Conn, filter: Omit<SubscriberFilter, 'q'>): Promise<number> {
  let topicId: number | null = null;
  if (filter.topic) {
    const topic: { id: number } | undefined = await topicIdOf(db, filter.topic).first();
    if (!topic) return 0;
    topicId = Number(topic.id);
  }
  return (await keptCounts(db))
    .filter((c) => c.topic_id === topicId && (!filter.status || c.status === filter.status))
    .reduce((sum, c) => sum + c.n, 0);
}

/**
 * Replaces the kept changes by their sum per topic and status. The rows summed are exactly
 * the rows this statement deleted, so a change written meanwhile by another process stays.
 */
export async function foldSubscriberCounts(db: Conn): Promise<void> {
  await db.transaction(async (trx) => {
    // Raw: Knex's returning() on a delete is PostgreSQL-only; SQLite (3.35+) has RETURNING too.
    const result = await trx.raw('delete from subscriber_counts returning topic_id, status, n');
    const taken: { topic_id: number | null; status: string; n: number | string }[] = Array.isArray(result) ? result : result.rows;
    const sums = new Map<string, KeptCount>();
    for (const r of taken) {
      const key = `${r.topic_id ?? ''} ${r.status}`;
      const sum = sums.get(key) ?? { topic_id: r.topic_id, status: r.status, n: 0 };
      sum.n += Number(r.n);
      sums.set(key, sum);
    }
    const kept = [...sums.values()].filter((c) => c.n !== 0);
    if (kept.length) await trx('subscriber_counts').insert(kept);
  });
}

/** The row, locked until the transaction ends on PostgreSQL (SQLite has one writer at a time anyway). */
export function findSubscriberByIdForUpdate(db: Conn, id: number, lock: boolean): Promise<SubscriberRow | undefined> {
  const query = db('subscribers').where({ id });
  return (lock ? query.forUpdate() : query).first();
}

// ── Bounce state, written by the delivery pipeline through subscribers/service ──────────

/** Ids as a list or as a subquery that selects them. */
export type SubscriberIds = number[] | Knex.QueryBuilder;

export async function markSubscribersBounced(db: Conn, ids: number[], now: Date) {
  if (!ids.length) return;
  await db('subscribers').whereIn('id', ids).whereNot('status', 'bounced').update({ status: 'bounced', bounced_at: now, updated_at: now });
}

export async function restoreBouncedSubscribers(db: Conn, ids: SubscriberIds, now: Date) {
  if (Array.isArray(ids) && !ids.length) return;
  await db('subscribers').where('status', 'bounced').whereIn('id', ids).update({ status: 'confirmed', bounced_at: null, updated_at: now });
}

/** What a digest's message needs of each recipient: the name and the nonce their links are signed with. */
export function listRecipientDetails(db: Conn, ids: number[]): Promise<Pick<SubscriberRow, 'id' | 'name' | 'token_nonce'>[]> {
  if (!ids.length) return Promise.resolve([]);
  return db('subscribers').whereIn('id', ids).select('id', 'name', 'token_nonce');
}
