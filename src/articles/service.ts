import type { Knex } from 'knex';
import { toDate, type Db } from '../db';
import { validationFailed } from '../errors';
import { findTopicsBySlugs, listTopics, type Topic } from '../topics/queries';
import type { Logger } from '../logger';
import { checkFeedHost, FeedAddressError, type FeedAddressPolicy } from './feed-address';
import { fetchFeed, FeedFetchError, type FetchLimits } from './feed-fetch';
import { FeedFormatError, parseFeed, type FeedItem } from './feed-parse';
import { canonicalUrl, cleanLine, excerpt, readingMinutesFor } from './plain-text';
import {
  claimDueFeed,
  findArticleByFeedGuid,
  findArticleById,
  findArticleByUrl,
  findArticleWithTopicById,
  findFeedById,
  findFeedByUrl,
  insertArticle,
  insertFeed,
  listDueFeeds,
  updateArticle,
  updateFeed,
  type ArticlePatch,
  type ArticleRow,
  type ArticleWithTopic,
  type FeedRow,
  type FeedWithTopic,
  type NewArticle,
} from './queries';
import type { ArticleInput, ArticleView } from './schema';

/**
 * The rules of articles and feeds. An article is known by its canonical URL (and, from a
 * feed, by the feed's GUID for it); saving it again updates it in place. A feed is polled
 * with a conditional GET, and whatever goes wrong with one feed is recorded on it and stops
 * nothing else.
 */

type Conn = Db | Knex.Transaction;

const SUMMARY_MAX = 1000;
const TAGS_MAX = 20;

export async function resolveTopic(db: Db, slug: string): Promise<Topic> {
  const [topic] = await findTopicsBySlugs(db, [slug]);
  if (!topic) throw validationFailed({ topic: `Unknown topic: ${slug}.` });
  return topic;
}

export function articleView(row: ArticleWithTopic): ArticleView {
  return {
    id: row.id,
    title: row.title,
    url: row.url,
    summary: row.summary,
    topic: row.topic_slug,
    publishedAt: toDate(row.published_at)!.toISOString(),
    updatedAt: toDate(row.updated_at)!.toISOString(),
    author: row.author,
    imageUrl: row.image_url,
    tags: parseTags(row.tags),
    readingMinutes: row.reading_minutes,
    feedId: row.feed_id,
  };
}

export function parseTags(value: string): string[] {
  try {
    const tags = JSON.parse(value);
    return Array.isArray(tags) ? tags.map(String) : [];
  } catch {
    return [];
  }
}

/** The fields a save may change; an update happens only when one of them differs. */
type ArticleContent = Pick<NewArticle, 'url' | 'topic_id' | 'title' | 'summary' | 'author' | 'image_url' | 'tags' | 'reading_minutes' | 'published_at'>;

function changedFields(row: ArticleRow, content: { [K in keyof ArticleContent]?: ArticleContent[K] | undefined }): ArticlePatch {
  const patch: ArticlePatch = {};
  for (const [key, value] of Object.entries(content) as [keyof ArticleContent, unknown][]) {
    if (value === undefined) continue;
    const before = row[key];
    const same = value instanceof Date ? toDate(before)?.getTime() === value.getTime() : before === value;
    if (!same) (patch as Record<string, unknown>)[key] = value;
  }
  return patch;
}

async function articleContent(db: Db, input: ArticleInput): Promise<ArticleContent> {
  const topic = await resolveTopic(db, input.topic);
  return {
    url: input.url,
    topic_id: topic.id,
    title: input.title,
    summary: input.summary,
    author: input.author ?? null,
    image_url: input.imageUrl ?? null,
    tags: JSON.stringify(input.tags),
    reading_minutes: input.readingMinutes ?? readingMinutesFor(input.summary),
    published_at: input.publishedAt,
  };
}

/** Creates or updates the article at `input.url`. */
export async function upsertArticle(db: Db, input: ArticleInput, now = new Date()): Promise<{ article: ArticleView; created: boolean }> {
  const content = await articleContent(db, input);
  const { id, created } = await db.transaction(async (trx) => {
    const existing = await findArticleByUrl(trx, input.url);
    if (!existing) {
      const id = await insertArticle(trx, { ...content, feed_id: null, guid: null, updated_at: input.publishedAt, created_at: now });
      return { id, created: true };
    }
    const patch = changedFields(existing, content);
    if (Object.keys(patch).length) await updateArticle(trx, existing.id, { ...patch, updated_at: now });
    return { id: existing.id, created: false };
  });
  return { article: articleView((await findArticleWithTopicById(db, id))!), created };
}

/**
 * Edits the article with this id (the console's edit form), its address included, unless
 * another article has that address. Undefined for an unknown id.
 */
export async function updateArticleById(db: Db, id: number, input: ArticleInput, now = new Date()): Promise<ArticleView | undefined> {
  const content = await articleContent(db, input);
  const found = await db.transaction(async (trx) => {
    const existing = await findArticleById(trx, id);
    if (!existing) return false;
    const holder = await findArticleByUrl(trx, input.url);
    if (holder && holder.id !== id) throw validationFailed({ url: 'Another article already has this address.' });
    const patch = changedFields(existing, content);
    if (Object.keys(patch).length) await updateArticle(trx, id, { ...patch, updated_at: now });
    return true;
  });
  return found ? articleView((await findArticleWithTopicById(db, id))!) : undefined;
}

// ── Feeds ────────────────────────────────────────────────────────────────────────────────

export interface FeedView {
  id: number;
  url: string;
  topic: string;
  title: string | null;
  lastPolledAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  nextPollAt: string | null;
  createdAt: string | null;
}

const iso = (value: unknown) => toDate(value)?.toISOString() ?? null;

export function feedView(row: FeedWithTopic): FeedView {
  return {
    id: row.id,
    url: row.url,
    topic: row.topic_slug,
    title: row.title,
    lastPolledAt: iso(row.last_polled_at),
    lastSuccessAt: iso(row.last_success_at),
    lastError: row.last_error,
    nextPollAt: iso(row.next_poll_at),
    createdAt: iso(row.created_at),
  };
}

/**
 * Registers a feed, due at once; registering a known URL again only changes its topic. Its
 * host must resolve to addresses the policy allows (polls check again at every connection).
 */
export async function registerFeed(
  db: Db,
  input: { url: string; topic: string },
  addresses: FeedAddressPolicy,
  now = new Date(),
): Promise<{ id: number; created: boolean }> {
  const topic = await resolveTopic(db, input.topic);
  try {
    await checkFeedHost(new URL(input.url), addresses);
  } catch (err) {
    if (!(err instanceof FeedAddressError)) throw err;
    throw validationFailed({
      url: err.unresolved ? 'url names a host that could not be found' : 'url must be a public internet address; local and private networks are refused',
    });
  }
  return db.transaction(async (trx) => {
    const existing = await findFeedByUrl(trx, input.url);
    if (existing) {
      if (existing.topic_id !== topic.id) await updateFeed(trx, existing.id, { topic_id: topic.id });
      return { id: existing.id, created: false };
    }
    const id = await insertFeed(trx, {
      url: input.url,
      topic_id: topic.id,
      title: null,
      etag: null,
      last_modified: null,
      last_polled_at: null,
      last_success_at: null,
      last_error: null,
      next_poll_at: now,
      created_at: now,
    });
    return { id, created: true };
  });
}

export interface PollResult {
  feedId: number;
  new: number;
  updated: number;
  /** The server said nothing changed since the last poll (HTTP 304). */
  notModified: boolean;
  error: string | null;
}

export interface PollOptions {
  limits?: FetchLimits;
  /** When the feed is due again after this poll. */
  intervalMs: number;
  addresses: FeedAddressPolicy;
  /** Where the cause of a failed fetch goes. */
  logger: Logger;
  signal?: AbortSignal;
}

/**
 * What admins see for any failed fetch. The cause (connection refused, HTTP 404, not XML)
 * would let the feed form probe the network, port by port, so it goes to the log only.
 */
export const FEED_FETCH_FAILED = 'could not fetch the feed';

/**
 * Polls one feed and records the outcome on it. Never throws for the feed's own faults
 * (network, HTTP, size, XML): those become its last error.
 */
export async function pollFeed(db: Db, feed: FeedRow, options: PollOptions): Promise<PollResult> {
  const startedAt = new Date();
  const nextPollAt = new Date(startedAt.getTime() + options.intervalMs);
  const result: PollResult = { feedId: feed.id, new: 0, updated: 0, notModified: false, error: null };
  try {
    const response = await fetchFeed(
      feed.url,
      { etag: feed.etag, lastModified: feed.last_modified },
      { addresses: options.addresses, limits: options.limits, stop: options.signal },
    );
    if (response.status === 'not_modified') {
      result.notModified = true;
      await updateFeed(db, feed.id, { last_polled_at: startedAt, last_success_at: startedAt, last_error: null, next_poll_at: nextPollAt });
      return result;
    }
    const parsed = parseFeed(response.body);
    const topics = await listTopics(db);
    await db.transaction(async (trx) => {
      for (const item of parsed.items) {
        const outcome = await saveFeedItem(trx, feed, item, topics, startedAt);
        if (outcome === 'new') result.new++;
        else if (outcome === 'updated') result.updated++;
      }
      // The validators are kept only with the items they describe, so a failed save refetches in full.
      await updateFeed(trx, feed.id, {
        title: parsed.title?.slice(0, 300) ?? feed.title,
        etag: response.etag?.slice(0, 500) ?? null,
        last_modified: response.lastModified?.slice(0, 100) ?? null,
        last_polled_at: startedAt,
        last_success_at: startedAt,
        last_error: null,
        next_poll_at: nextPollAt,
      });
    });
    return result;
  } catch (err) {
    const known = err instanceof FeedFetchError || err instanceof FeedFormatError;
    result.error = known ? FEED_FETCH_FAILED : 'the feed could not be saved';
    if (known) options.logger.warn({ feed: feed.id, cause: (err as Error).message }, 'feed could not be fetched');
    result.new = 0;
    result.updated = 0;
    await updateFeed(db, feed.id, { last_polled_at: startedAt, last_error: result.error, next_poll_at: nextPollAt });
    if (!known) throw err;
    return result;
  }
}

/** Polls the feed with this id now, due or not; undefined for an unknown id. */
export async function pollFeedById(db: Db, id: number, options: PollOptions): Promise<PollResult | undefined> {
  const feed = await findFeedById(db, id);
  return feed ? pollFeed(db, feed, options) : undefined;
}

/**
 * Polls every due feed, a few at a time, each claimed first so two processes never poll the
 * same one. A feed that fails or hangs holds up only its own slot, for at most its time limit.
 */
export async function pollDueFeeds(
  db: Db,
  options: PollOptions & { parallel?: number; onError?: (feedId: number, err: unknown) => void },
  now = new Date(),
): Promise<PollResult[]> {
  const due = await listDueFeeds(db, now, 1000);
  const results: PollResult[] = [];
  const queue = [...due];
  const worker = async () => {
    for (let feed = queue.shift(); feed && !options.signal?.aborted; feed = queue.shift()) {
      if (!(await claimDueFeed(db, feed.id, now, new Date(now.getTime() + options.intervalMs)))) continue;
      try {
        results.push(await pollFeed(db, feed, options));
      } catch (err) {
        options.onError?.(feed.id, err);
      }
    }
  };
  await Promise.all(Array.from({ length: options.parallel ?? 4 }, worker));
  return results;
}

type SaveOutcome = 'new' | 'updated' | 'unchanged' | 'skipped';

async function saveFeedItem(trx: Conn, feed: FeedRow, item: FeedItem, topics: Topic[], now: Date): Promise<SaveOutcome> {
  const url = item.url ? canonicalUrl(item.url) : null;
  const title = excerpt(item.title, 300);
  if (!url || !title) return 'skipped';
  const guid = item.guid?.slice(0, 500) ?? null;

  const byGuid = guid ? await findArticleByFeedGuid(trx, feed.id, guid) : undefined;
  const existing = byGuid ?? (await findArticleByUrl(trx, url));
  const tags = [...new Set(item.categories.map((c) => excerpt(c, 60)))].slice(0, TAGS_MAX);
  const content: Omit<ArticleContent, 'topic_id'> = {
    url,
    title,
    summary: excerpt(item.summary || title, SUMMARY_MAX),
    author: item.author,
    image_url: item.imageUrl ? canonicalUrl(item.imageUrl) : null,
    tags: JSON.stringify(tags),
    reading_minutes: readingMinutesFor(item.fullText || item.summary),
    published_at: item.publishedAt ?? item.updatedAt ?? now,
  };

  if (!existing) {
    await insertArticle(trx, {
      ...content,
      topic_id: topicFor(item.categories, topics) ?? feed.topic_id,
      feed_id: feed.id,
      guid,
      updated_at: item.updatedAt ?? content.published_at,
      created_at: now,
    });
    return 'new';
  }
  // A moved link keeps its article, unless the new address already belongs to another one.
  if (url !== existing.url && (await findArticleByUrl(trx, url))) content.url = existing.url;
  // The topic is chosen once, when the article arrives: an admin's later choice stands.
  // An undated item keeps the date it was first seen with.
  const dated = item.publishedAt !== null || item.updatedAt !== null;
  const patch = changedFields(existing, dated ? content : { ...content, published_at: undefined });
  if (!existing.guid && guid) patch.guid = guid;
  if (existing.feed_id === null) patch.feed_id = feed.id;
  if (!Object.keys(patch).length) return 'unchanged';
  const contentChanged = Object.keys(patch).some((key) => key !== 'guid' && key !== 'feed_id');
  await updateArticle(trx, existing.id, contentChanged ? { ...patch, updated_at: item.updatedAt ?? now } : patch);
  return contentChanged ? 'updated' : 'unchanged';
}

/** The first of an item's categories that names a topic (by slug or name), if any. */
function topicFor(categories: string[], topics: Topic[]): number | null {
  for (const category of categories) {
    const key = cleanLine(category).toLowerCase();
    const topic = topics.find((t) => t.slug === key || t.name.toLowerCase() === key);
    if (topic) return topic.id;
  }
  return null;
}
