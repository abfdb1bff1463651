import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { articleView, resolveTopic } from '../articles/service';
import type { ArticleWithTopic } from '../articles/queries';
import { listOpenProgrammes } from '../awards/queries';
import type { Config } from '../config';
import { toDate, type Db } from '../db';
import { conflict } from '../errors';
import { linkFor } from '../subscribers/service';
import type { SubscriberRow } from '../subscribers/queries';
import type { Topic } from '../topics/queries';
import {
  findDigestById,
  insertDigest,
  insertDigestArticles,
  insertDigestTopics,
  insertDigestVariants,
  listDigestCandidates,
  lockTopicsForDigest,
  type DigestVariantRow,
} from './queries';
import { renderDigest, withPersonalise, type DigestArticle, type DigestContent, type Recipient, type RenderedDigest } from './render';
import { DEFAULT_DIGEST_LIMIT } from './schema';
import { organisationOf } from '../mail/render';

/**
 * The digest's rules. A digest of a topic holds the topic's articles published in the last
 * 7 days that no earlier digest of the topic carried (test digests aside), newest first, up
 * to a limit. Composing one fixes its articles and its compiled message; sending (issue 5)
 * personalises that message per recipient.
 */

export interface DigestDeps {
  db: Db;
  config: Pick<Config, 'baseUrl' | 'orgName' | 'postalAddress' | 'secret' | 'trackClicks'>;
}

export const DIGEST_WINDOW_MS = 7 * 24 * 60 * 60_000;

/** The articles a digest of `topic` would carry at `now`. */
export function selectDigestArticles(conn: Db | Knex.Transaction, topicId: number, limit: number, now = new Date()): Promise<ArticleWithTopic[]> {
  return listDigestCandidates(conn, topicId, new Date(now.getTime() - DIGEST_WINDOW_MS), now, limit);
}

const noNewArticles = (topics: Topic[]) =>
  conflict(
    `No ${topics.map((t) => t.name).join(' or ')} article from the last 7 days is left that an earlier digest did not carry.`,
    'no_new_articles',
  );

/** A topic and the articles its section (or its whole digest) carries. */
interface TopicArticles {
  topic: Topic;
  articles: ArticleWithTopic[];
}

const articleOf = (row: ArticleWithTopic): DigestArticle => {
  const a = articleView(row);
  return { title: a.title, url: a.url, summary: a.summary, publishedAt: new Date(a.publishedAt), readingMinutes: a.readingMinutes, author: a.author, imageUrl: a.imageUrl };
};

/** What renderDigest needs: one topic's list, or (`sectioned`) a section per topic. */
async function digestContent(
  conn: Db | Knex.Transaction,
  config: DigestDeps['config'],
  parts: TopicArticles[],
  sectioned: boolean,
  viewUrl: string,
  words: { subject?: string | null; intro?: string | null },
  now: Date,
): Promise<DigestContent> {
  const programmes = await listOpenProgrammes(conn, now);
  const topicOf = (topic: Topic) => ({ slug: topic.slug, name: topic.name });
  return {
    org: organisationOf(config),
    topic: topicOf(parts[0].topic),
    articles: parts.flatMap((p) => p.articles.map(articleOf)),
    sections: sectioned ? parts.map((p) => ({ topic: topicOf(p.topic), articles: p.articles.map(articleOf) })) : undefined,
    programmes: programmes.map((p) => ({
      name: p.name,
      url: `${config.baseUrl}/awards/${encodeURIComponent(p.slug)}`,
      closesAt: toDate(p.closes_at)!,
      timeZone: p.time_zone,
    })),
    subject: words.subject,
    intro: words.intro ?? null,
    viewUrl,
    date: now,
  };
}

/** Links in a preview: they look real and lead nowhere personal. */
export const previewRecipient = (config: Pick<Config, 'baseUrl'>): Recipient => ({
  name: null,
  unsubscribeUrl: `${config.baseUrl}/newsletter/unsubscribe?token=preview`,
  preferencesUrl: `${config.baseUrl}/newsletter/preferences?token=preview`,
});

/** What the public web copy shows instead of one reader's links: the signup page. */
export const webRecipient = (config: Pick<Config, 'baseUrl'>): Recipient => ({
  name: null,
  unsubscribeUrl: `${config.baseUrl}/newsletter`,
  preferencesUrl: `${config.baseUrl}/newsletter`,
});

/**
 * The web copy belongs to no reader, so "Preferences" and "Unsubscribe" (both leading to
 * the signup page there) would promise what they cannot do: it says "Manage your
 * subscription" once instead.
 */
export function webCopyHtml(html: string, config: Pick<Config, 'baseUrl'>): string {
  const href = `${config.baseUrl}/newsletter`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pair = new RegExp(`<a href="${href}"([^>]*)>Preferences</a>\\s*&middot;\\s*<a href="${href}"[^>]*>Unsubscribe</a>`);
  return html.replace(pair, `<a href="${config.baseUrl}/newsletter"$1>Manage your subscription</a>`);
}

/**
 * One recipient's details for a digest: their name and their own signed links. The one
 * place a recipient is made, for the web copy, the preview and every message sent. Without
 * a subscriber (a test recipient, the web copy) the links lead to the signup page.
 */
export function recipientFor(deps: { config: Pick<Config, 'baseUrl' | 'secret'> }, subscriber: Pick<SubscriberRow, 'id' | 'token_nonce' | 'name'> | null | undefined): Recipient {
  if (!subscriber) return webRecipient(deps.config);
  return {
    name: subscriber.name,
    unsubscribeUrl: linkFor(deps, subscriber, 'unsubscribe'),
    preferencesUrl: linkFor(deps, subscriber, 'preferences'),
  };
}

/** The topic, and the articles its digest would carry if composed now. */
export async function digestCandidates(db: Db, slug: string, limit: number, now = new Date()): Promise<{ topic: Topic; articles: ArticleWithTopic[] }> {
  const topic = await resolveTopic(db, slug);
  return { topic, articles: await selectDigestArticles(db, topic.id, limit, now) };
}

/** The HTML the digest of `topic` would have if composed now, with placeholder links. Stores nothing. */
export async function previewDigest(deps: DigestDeps, input: { topic: string; limit: number; subject?: string | null; intro?: string | null }, now = new Date()): Promise<{ subject: string; html: string; text: string }> {
  const { topic, articles } = await digestCandidates(deps.db, input.topic, input.limit, now);
  if (!articles.length) throw noNewArticles([topic]);
  const content = await digestContent(deps.db, deps.config, [{ topic, articles }], false, `${deps.config.baseUrl}/digests/preview`, input, now);
  const rendered = await renderDigest(content);
  return { subject: rendered.subject, ...rendered.personalise(previewRecipient(deps.config)) };
}

export interface ComposedDigest {
  id: string;
  /** The first of its topics. */
  topic: Topic;
  /** The topics it carries articles of, in the order asked for. */
  topics: Topic[];
  subject: string;
  isTest: boolean;
  articleIds: number[];
  rendered: RenderedDigest;
}

export interface DigestTopicsInput {
  topic?: string;
  topics?: string[];
}

/** The slugs asked for, `{topic}` or `{topics}`, each once in the order given. */
export const topicSlugsOf = (input: DigestTopicsInput): string[] => [...new Set(input.topics ?? (input.topic ? [input.topic] : []))];

/**
 * Creates a digest: chooses its articles, renders it once and stores the row, its topics,
 * its articles and the compiled message in one transaction. A test digest chooses the same
 * way but does not use its articles up. 409 no_new_articles when there is nothing to send.
 *
 * A digest of several topics carries each topic's new articles (each article once) in a
 * section per topic; a topic with nothing new is left out. Its own message has every
 * section (the web view); `within` answers which topic combinations its recipients follow
 * (variant masks), and each of those is rendered once, with only those sections.
 */
export async function composeDigest(
  deps: DigestDeps,
  input: DigestTopicsInput & { limit?: number; subject?: string | null; intro?: string | null; isTest?: boolean },
  now = new Date(),
  /** Further writes that must commit or fail with the digest (the send's recipients); answers the variants needed. */
  within?: (trx: Knex.Transaction, digest: { id: string; topicId: number; sectioned: boolean; isTest: boolean }) => Promise<number[] | void>,
): Promise<ComposedDigest> {
  const isTest = input.isTest ?? false;
  const limit = input.limit ?? DEFAULT_DIGEST_LIMIT;
  const slugs = topicSlugsOf(input);
  const sectioned = slugs.length > 1;
  const topics: Topic[] = [];
  for (const slug of slugs) topics.push(await resolveTopic(deps.db, slug));
  const id = randomBytes(12).toString('base64url');
  return deps.db.transaction(async (trx) => {
    await lockTopicsForDigest(trx, topics.map((t) => t.id));
    const parts: TopicArticles[] = [];
    const seen = new Set<number>();
    for (const topic of topics) {
      const articles = (await selectDigestArticles(trx, topic.id, limit, now)).filter((a) => !seen.has(a.id) && seen.add(a.id));
      if (articles.length) parts.push({ topic, articles });
    }
    if (!parts.length) throw noNewArticles(topics);
    // Rendered inside the transaction, so the stored message is exactly the chosen articles.
    // With click tracking each message's article links are slots (test digests are not tracked).
    const trackLinks = deps.config.trackClicks && !isTest;
    const render = (chosen: TopicArticles[]) =>
      digestContent(trx, deps.config, chosen, sectioned, `${deps.config.baseUrl}/digests/${id}`, input, now).then((c) => renderDigest(c, { trackLinks }));
    const rendered = await render(parts);
    await insertDigest(trx, {
      id,
      topic_id: parts[0].topic.id,
      subject: rendered.subject,
      status: 'composed',
      is_test: isTest,
      html: rendered.html,
      text: rendered.text,
      placeholder_key: rendered.placeholderKey,
      links: rendered.links ? JSON.stringify(rendered.links) : null,
      created_at: now,
    });
    await insertDigestTopics(trx, id, parts.map((p) => p.topic.id));
    const articleIds = parts.flatMap((p) => p.articles.map((a) => a.id));
    await insertDigestArticles(trx, id, articleIds);
    const variants = (await within?.(trx, { id, topicId: parts[0].topic.id, sectioned, isTest })) ?? [];
    const rows: DigestVariantRow[] = [];
    for (const mask of variants) {
      const chosen = parts.filter((_, i) => mask & (2 ** i));
      const variant = chosen.length === parts.length ? rendered : await render(chosen);
      rows.push({ digest_id: id, topics_mask: mask, subject: variant.subject, html: variant.html, text: variant.text, placeholder_key: variant.placeholderKey, links: variant.links ? JSON.stringify(variant.links) : null });
    }
    await insertDigestVariants(trx, rows);
    return { id, topic: parts[0].topic, topics: parts.map((p) => p.topic), subject: rendered.subject, isTest, articleIds, rendered };
  });
}

/** A stored digest, ready to personalise; undefined for an unknown id. */
export async function loadDigest(db: Db, id: string): Promise<RenderedDigest | undefined> {
  const row = await findDigestById(db, id);
  if (!row) return undefined;
  return withPersonalise({ subject: row.subject, html: row.html, text: row.text, placeholderKey: row.placeholder_key, links: storedLinks(row.links) });
}

/** A digest's tracked links as stored (JSON), or null when it was composed without tracking. */
export function storedLinks(json: string | null | undefined): string[] | null {
  if (!json) return null;
  const links: unknown = JSON.parse(json);
  return Array.isArray(links) ? links.map(String) : null;
}
