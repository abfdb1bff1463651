import type { Knex } from 'knex';
import { isPostgres, type Db } from '../db';
import type { ArticleWithTopic } from '../articles/queries';

/** The digests' SQL, one named function per statement. */

type Conn = Db | Knex.Transaction;

export interface DigestRow {
  id: string;
  topic_id: number;
  subject: string;
  status: string;
  is_test: boolean | number;
  html: string;
  text: string;
  placeholder_key: string;
  links?: string | null;
  created_at: unknown;
}

/**
 * The topic's articles published in [since, until] that no digest of the topic has carried
 * (test digests aside), newest first.
 */
export function listDigestCandidates(db: Conn, topicId: number, since: Date, until: Date, limit: number): Promise<ArticleWithTopic[]> {
  return db('articles')
    .join('topics', 'topics.id', 'articles.topic_id')
    .select('articles.*', 'topics.slug as topic_slug')
    .where('articles.topic_id', topicId)
    .where('articles.published_at', '>=', since)
    .where('articles.published_at', '<=', until)
    .whereNotExists(
      db('digest_articles')
        .join('digests', 'digests.id', 'digest_articles.digest_id')
        .join('digest_topics', 'digest_topics.digest_id', 'digest_articles.digest_id')
        .select(db.raw('1'))
        .whereRaw('digest_articles.article_id = articles.id')
        .where('digest_topics.topic_id', topicId)
        .where('digests.is_test', false),
    )
    .orderBy('articles.published_at', 'desc')
    .orderBy('articles.id', 'desc')
    .limit(limit);
}

/**
 * Holds the topic's row until the transaction ends, so two digests of one topic composed at
 * once on PostgreSQL take turns and never pick the same articles. (SQLite has one writer.)
 */
export async function lockTopicsForDigest(trx: Knex.Transaction, topicIds: number[]): Promise<void> {
  // In id order, so two digests of overlapping topics cannot wait for each other.
  if (isPostgres(trx)) await trx('topics').select('id').whereIn('id', topicIds).orderBy('id').forUpdate();
}

/** A digest's topics in order; topic i's bit is 2^i (a variant's topics add up to its mask). */
export function insertDigestTopics(db: Conn, digestId: string, topicIds: number[]) {
  return db('digest_topics').insert(topicIds.map((topic_id, position) => ({ digest_id: digestId, topic_id, position, bit: 2 ** position })));
}

export interface DigestTopicRow {
  topic_id: number;
  slug: string;
  name: string;
  bit: number;
}

export function listDigestTopics(db: Conn, digestId: string): Promise<DigestTopicRow[]> {
  return db('digest_topics')
    .join('topics', 'topics.id', 'digest_topics.topic_id')
    .where('digest_topics.digest_id', digestId)
    .orderBy('digest_topics.position')
    .select('digest_topics.topic_id', 'topics.slug', 'topics.name', 'digest_topics.bit');
}

export interface DigestVariantRow {
  digest_id: string;
  topics_mask: number;
  subject: string;
  html: string;
  text: string;
  placeholder_key: string;
  /** The variant's tracked article links (JSON), in its own order; null without click tracking. */
  links: string | null;
}

/** The sender names of a digest's topics, in the digest's order (a digest from before digest_topics: none). */
async function listDigestSenderNames(db: Conn, digestId: string): Promise<(string | null)[]> {
  const rows: { sender_name: string | null }[] = await db('digest_topics')
    .join('topics', 'topics.id', 'digest_topics.topic_id')
    .where('digest_topics.digest_id', digestId)
    .orderBy('digest_topics.position')
    .select('topics.sender_name');
  return rows.map((r) => r.sender_name);
}

export function insertDigestVariants(db: Conn, rows: DigestVariantRow[]) {
  if (!rows.length) return Promise.resolve();
  return db('digest_variants').insert(rows);
}

export function insertDigest(db: Conn, row: DigestRow) {
  return db('digests').insert(row);
}

export function insertDigestArticles(db: Conn, digestId: string, articleIds: number[]) {
  return db('digest_articles').insert(articleIds.map((article_id, position) => ({ digest_id: digestId, article_id, position })));
}

export function findDigestById(db: Conn, id: string): Promise<DigestRow | undefined> {
  return db('digests').where({ id }).first();
}

/** A digest's send as lists show it: no message bodies. */
export interface DigestListRow {
  id: string;
  topic_slug: string;
  topic_name: string;
  subject: string;
  status: string;
  is_test: boolean | number;
  recipients: number;
  created_at: unknown;
  started_at: unknown;
  finished_at: unknown;
}

export interface DigestFilter {
  topicId?: number;
}

function filteredDigests(db: Conn, filter: DigestFilter) {
  const query = db('digests');
  if (filter.topicId) query.where('digests.topic_id', filter.topicId);
  return query;
}

export async function countDigests(db: Conn, filter: DigestFilter): Promise<number> {
  const [{ n }] = await filteredDigests(db, filter).count({ n: '*' });
  return Number(n);
}

/** Newest first. */
export function listDigestsPage(db: Conn, filter: DigestFilter, offset: number, limit: number): Promise<DigestListRow[]> {
  return filteredDigests(db, filter)
    .join('topics', 'topics.id', 'digests.topic_id')
    .select(
      'digests.id', 'topics.slug as topic_slug', 'topics.name as topic_name', 'digests.subject', 'digests.status', 'digests.is_test',
      'digests.recipients', 'digests.created_at', 'digests.started_at', 'digests.finished_at',
    )
    .orderBy('digests.created_at', 'desc')
    .orderBy('digests.id')
    .offset(offset)
    .limit(limit);
}

export interface RecentDigestRow {
  id: string;
  subject: string;
  status: string;
  is_test: boolean | number;
  recipients: number;
  created_at: unknown;
  topic_name: string;
}

/** The newest digests, tests included, for the console's dashboard. */
export function listRecentDigests(db: Conn, limit: number): Promise<RecentDigestRow[]> {
  return db('digests')
    .join('topics', 'topics.id', 'digests.topic_id')
    .orderBy('digests.created_at', 'desc')
    .orderBy('digests.id')
    .limit(limit)
    .select('digests.id', 'digests.subject', 'digests.status', 'digests.is_test', 'digests.recipients', 'digests.created_at', 'topics.name as topic_name');
}

export interface ArchivedDigestRow {
  id: string;
  subject: string;
  topic_name: string;
  finished_at: unknown;
}

/** Digests that went out to readers (tests aside), newest first: the public archive. */
function sentToReaders(db: Conn) {
  return db('digests').where('digests.status', 'sent').where('digests.is_test', false);
}

export async function countArchivedDigests(db: Conn): Promise<number> {
  const [{ n }] = await sentToReaders(db).count({ n: '*' });
  return Number(n);
}

export function listArchivedDigests(db: Conn, offset: number, limit: number): Promise<ArchivedDigestRow[]> {
  return sentToReaders(db)
    .join('topics', 'topics.id', 'digests.topic_id')
    .orderBy('digests.finished_at', 'desc')
    .orderBy('digests.id')
    .offset(offset)
    .limit(limit)
    .select('digests.id', 'digests.subject', 'topics.name as topic_name', 'digests.finished_at');
}

export interface DigestForSending {
  id: string;
  subject: string;
  html: string;
  text: string;
  placeholder_key: string;
  is_test: boolean | number;
  topic_slug: string;
  topic_name: string;
  topic_sender_name: string | null;
  /** Each of the digest's topics' sender names (null: none), in order. */
  sender_names: (string | null)[];
  /** The tracked article links (JSON), when the digest was composed with click tracking. */
  links: string | null;
}

/**
 * What a sender needs of a digest: its compiled message and its topic's names. With a
 * variant (a digest of several topics), that variant's message instead of the digest's own.
 */
export async function findDigestForSending(db: Conn, digestId: string, variant: number | null = null): Promise<DigestForSending | undefined> {
  const digest: DigestForSending | undefined = await db('digests')
    .join('topics', 'topics.id', 'digests.topic_id')
    .where('digests.id', digestId)
    .first('digests.id', 'digests.subject', 'digests.html', 'digests.text', 'digests.placeholder_key', 'digests.is_test', 'digests.links', 'topics.slug as topic_slug', 'topics.name as topic_name', 'topics.sender_name as topic_sender_name');
  if (!digest) return digest;
  digest.sender_names = await listDigestSenderNames(db, digestId);
  if (variant === null) return digest;
  const message = await db('digest_variants').where({ digest_id: digestId, topics_mask: variant }).first('subject', 'html', 'text', 'placeholder_key', 'links');
  return message ? { ...digest, ...message } : undefined;
}

// ── Idempotency keys of digest triggers ──────────────────────────────────────────────

export function findDigestRequest(db: Conn, key: string): Promise<{ idempotency_key: string; request_hash: string; digest_id: string | null } | undefined> {
  return db('digest_requests').where({ idempotency_key: key }).first();
}

/** A key with no digest yet: a request in flight. Throws a unique violation when the key exists. */
export function insertDigestRequest(db: Conn, key: string, hash: string, now: Date) {
  return db('digest_requests').insert({ idempotency_key: key, request_hash: hash, digest_id: null, created_at: now });
}

export function attachDigestToRequest(db: Conn, key: string, digestId: string) {
  return db('digest_requests').where({ idempotency_key: key }).update({ digest_id: digestId });
}

/** A failed request frees its key (only its own, still unanswered). */
export function deleteUnansweredRequest(db: Conn, key: string, hash: string) {
  return db('digest_requests').where({ idempotency_key: key, request_hash: hash }).whereNull('digest_id').delete();
}
