import type { Knex } from 'knex';
import type { Db } from '../db';

/** The SQL of articles and feeds, one named function per statement. */

type Conn = Db | Knex.Transaction;

export interface ArticleRow {
  id: number;
  url: string;
  topic_id: number;
  feed_id: number | null;
  guid: string | null;
  title: string;
  summary: string;
  author: string | null;
  image_url: string | null;
  tags: string; // JSON array
  reading_minutes: number;
  published_at: unknown;
  updated_at: unknown;
  created_at: unknown;
}

/** An article with its topic's slug, as lists show it. */
export type ArticleWithTopic = ArticleRow & { topic_slug: string };

export type NewArticle = Omit<ArticleRow, 'id'>;
export type ArticlePatch = Partial<Omit<ArticleRow, 'id' | 'created_at'>>;

export interface FeedRow {
  id: number;
  url: string;
  topic_id: number;
  title: string | null;
  etag: string | null;
  last_modified: string | null;
  last_polled_at: unknown;
  last_success_at: unknown;
  last_error: string | null;
  next_poll_at: unknown;
  created_at: unknown;
}

export type FeedWithTopic = FeedRow & { topic_slug: string };

export function findArticleByUrl(db: Conn, url: string): Promise<ArticleRow | undefined> {
  return db('articles').where({ url }).first();
}

export function findArticleById(db: Conn, id: number): Promise<ArticleRow | undefined> {
  return db('articles').where({ id }).first();
}

export function findArticleByFeedGuid(db: Conn, feedId: number, guid: string): Promise<ArticleRow | undefined> {
  return db('articles').where({ feed_id: feedId, guid }).first();
}

export function findArticleWithTopicById(db: Conn, id: number): Promise<ArticleWithTopic | undefined> {
  return db('articles').join('topics', 'topics.id', 'articles.topic_id').select('articles.*', 'topics.slug as topic_slug').where('articles.id', id).first();
}

export async function insertArticle(db: Conn, row: NewArticle): Promise<number> {
  const [inserted] = await db('articles').insert(row).returning('id');
  return typeof inserted === 'object' ? inserted.id : inserted;
}

export function updateArticle(db: Conn, id: number, patch: ArticlePatch) {
  return db('articles').where({ id }).update(patch);
}

export async function countArticles(db: Conn, filter: { topicId?: number }): Promise<number> {
  const query = db('articles').count({ n: '*' });
  if (filter.topicId) query.where('topic_id', filter.topicId);
  const [{ n }] = await query;
  return Number(n);
}

export function listArticlesPage(db: Conn, filter: { topicId?: number }, offset: number, limit: number): Promise<ArticleWithTopic[]> {
  const query = db('articles')
    .join('topics', 'topics.id', 'articles.topic_id')
    .select('articles.*', 'topics.slug as topic_slug')
    .orderBy('articles.published_at', 'desc')
    .orderBy('articles.id', 'desc')
    .offset(offset)
    .limit(limit);
  if (filter.topicId) query.where('articles.topic_id', filter.topicId);
  return query;
}

export async function findAnyArticleId(db: Conn): Promise<number | undefined> {
  const row = await db('articles').select('id').first();
  return row?.id;
}

export async function insertFeed(db: Conn, row: Omit<FeedRow, 'id'>): Promise<number> {
  const [inserted] = await db('feeds').insert(row).returning('id');
  return typeof inserted === 'object' ? inserted.id : inserted;
}

export function findFeedById(db: Conn, id: number): Promise<FeedRow | undefined> {
  return db('feeds').where({ id }).first();
}

export function findFeedWithTopicById(db: Conn, id: number): Promise<FeedWithTopic | undefined> {
  return db('feeds').join('topics', 'topics.id', 'feeds.topic_id').select('feeds.*', 'topics.slug as topic_slug').where('feeds.id', id).first();
}

export function findFeedByUrl(db: Conn, url: string): Promise<FeedRow | undefined> {
  return db('feeds').where({ url }).first();
}

export async function countFeeds(db: Conn): Promise<number> {
  const [{ n }] = await db('feeds').count({ n: '*' });
  return Number(n);
}

export function listFeedsPage(db: Conn, offset: number, limit: number): Promise<FeedWithTopic[]> {
  return db('feeds').join('topics', 'topics.id', 'feeds.topic_id').select('feeds.*', 'topics.slug as topic_slug').orderBy('feeds.id').offset(offset).limit(limit);
}

export function listDueFeeds(db: Conn, now: Date, limit: number): Promise<FeedRow[]> {
  return db('feeds').where('next_poll_at', '<=', now).orderBy('next_poll_at').orderBy('id').limit(limit);
}

/**
 * Takes a due feed for this process by moving its next poll on; another process that read
 * it as due too finds it no longer due and moves none. True when this process got it.
 */
export async function claimDueFeed(db: Conn, id: number, now: Date, nextPollAt: Date): Promise<boolean> {
  const changed = await db('feeds').where({ id }).where('next_poll_at', '<=', now).update({ next_poll_at: nextPollAt });
  return changed === 1;
}

export function updateFeed(db: Conn, id: number, patch: Partial<Omit<FeedRow, 'id' | 'url' | 'created_at'>>) {
  return db('feeds').where({ id }).update(patch);
}

/** How many articles each feed brought, for a page of the feeds list. */
export async function countArticlesOfFeeds(db: Conn, feedIds: number[]): Promise<Map<number, number>> {
  const byId = new Map(feedIds.map((id) => [id, 0]));
  if (!feedIds.length) return byId;
  const rows: { feed_id: number; n: number | string }[] = await db('articles').whereIn('feed_id', feedIds).groupBy('feed_id').select('feed_id', db.raw('count(*) as n'));
  for (const row of rows) byId.set(row.feed_id, Number(row.n));
  return byId;
}
