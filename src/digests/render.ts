import { randomBytes } from 'node:crypto';
import { excerpt } from '../articles/plain-text';
import { formatInZone } from '../awards/time';
import { asciiHtml, escapeHtml } from '../escape-html';
import { renderEmail, type Organisation } from '../mail/render';

/**
 * Renders a digest once and personalises it per recipient cheaply.
 *
 * MJML runs once per digest, with placeholder tokens where each recipient's details go
 * (greeting, unsubscribe and preferences links). A token is "mh" + a random key + a slot
 * name; the key is drawn for each render and redrawn until no input text contains it, so a
 * token can only stand where the template put it. The compiled HTML and text are cut at the
 * tokens once (`compiledParts`); each consumer (web view, preview, MIME builder) splices a
 * recipient's escaped `slotValues` in: no MJML, no template engine, a few string joins.
 */

export interface DigestArticle {
  title: string;
  url: string;
  summary: string;
  publishedAt: Date;
  readingMinutes: number;
  author: string | null;
  imageUrl: string | null;
}

export interface DigestProgramme {
  name: string;
  url: string;
  closesAt: Date;
  /** IANA zone the deadline is shown in. */
  timeZone: string;
}

export interface DigestSection {
  topic: { slug: string; name: string };
  /** Newest first; the first is the section's lead story. At least one. */
  articles: DigestArticle[];
}

export interface DigestContent {
  org: Organisation;
  topic: { slug: string; name: string };
  /** Newest first; the first is the lead story. At least one. */
  articles: DigestArticle[];
  /**
   * A digest of several topics: one section per topic (heading = the topic's name), in
   * place of `topic`'s single list. Absent for a digest of one topic.
   */
  sections?: DigestSection[];
  programmes: DigestProgramme[];
  /** The editor's intro paragraph above the lead story; null or absent for none. */
  intro?: string | null;
  /** The admin's subject; null or absent for the default. */
  subject?: string | null;
  /** The "view in browser" address. */
  viewUrl: string;
  /** The digest's date (its creation). */
  date: Date;
}

export interface Recipient {
  name: string | null;
  unsubscribeUrl: string;
  preferencesUrl: string;
}

export interface PersonalisedDigest {
  html: string;
  text: string;
}

/** A compiled digest with its placeholders, as stored and as sent. */
export interface CompiledDigest {
  subject: string;
  html: string;
  text: string;
  placeholderKey: string;
  /**
   * With click tracking: the article links in order, each standing in the parts as the slot
   * `link<position>` (a per-recipient redirect when sent, the link itself on the web).
   */
  links?: string[] | null;
}

const SLOTS = ['greeting', 'unsubscribe', 'preferences'] as const;
/** A recipient's own slots, and one per tracked article link (`link0`, `link1`, …). */
export type Slot = (typeof SLOTS)[number] | `link${number}`;
const linkSlot = (position: number): Slot => `link${position}`;

/**
 * One part of a compiled digest cut at its placeholders: `statics[0]`, then the value of
 * `slots[0]`, then `statics[1]` … `statics` has one more entry than `slots`. The web view,
 * the preview and the MIME builder all start from these; none splits or escapes again.
 */
export interface CompiledPart {
  statics: string[];
  slots: Slot[];
}

export interface CompiledParts {
  html: CompiledPart;
  text: CompiledPart;
}

/** One recipient's slot values, ready for each part: escaped (and ASCII) for HTML, raw for text. */
export interface SlotValues {
  html: Record<string, string>;
  text: Record<string, string>;
}

export interface RenderedDigest extends CompiledDigest {
  parts: CompiledParts;
  personalise(recipient: Recipient): PersonalisedDigest;
}

const token = (key: string, slot: Slot) => `mh${key}${slot}`;

export async function renderDigest(content: DigestContent, options: { strict?: boolean; trackLinks?: boolean } = {}): Promise<RenderedDigest> {
  if (!content.articles.length) throw new Error('a digest needs at least one article');
  const key = placeholderKeyFor(content);
  // Tracked, each article's link is a slot (its position in `articles`, which every section's
  // articles are among, each once): still one render, the redirect filled in per recipient.
  const positionOf = new Map(content.articles.map((article, position) => [article.url, position]));
  const tracked = (article: DigestArticle) => articleData(options.trackLinks ? { ...article, url: token(key, linkSlot(positionOf.get(article.url)!)) } : article);
  const [lead, ...rest] = content.articles.map(tracked);
  const subject = content.subject ?? defaultSubject(content);
  const sections = content.sections?.map((section) => {
    const [first, ...others] = section.articles.map(tracked);
    return { topic: section.topic, lead: first, rest: others };
  });
  const names = listOfNames((content.sections ?? [content]).map((s) => s.topic.name));
  const { html, text } = await renderEmail(
    'digest',
    {
      subject,
      title: `${sections ? 'Your' : content.topic.name} digest, ${formatDay(content.date)} · ${content.org.name}`,
      org: content.org,
      topic: content.topic,
      sections,
      dateLabel: formatDay(content.date),
      greeting: token(key, 'greeting'),
      intro: content.intro ?? null,
      lead,
      rest,
      // The deadline reads as on the programme's own page: in its time zone.
      programmes: content.programmes.map((p) => ({ name: p.name, url: p.url, deadline: formatInZone(p.closesAt, p.timeZone) })),
      footerLinks: [
        { label: 'View in browser', href: content.viewUrl },
        { label: 'Preferences', href: token(key, 'preferences') },
        { label: 'Unsubscribe', href: token(key, 'unsubscribe') },
      ],
      footerNote: `You receive this email because you subscribed to ${names} news from ${content.org.name}.`,
    },
    options,
  );
  const links = options.trackLinks ? content.articles.map((a) => a.url) : null;
  return withPersonalise({ subject, html: asciiOutsideStyles(html), text, placeholderKey: key, links });
}

/** "Finance", "Finance and Banking", "Finance, Banking and Fintech". */
const listOfNames = (names: string[]) => (names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`);

/**
 * The HTML as ASCII (see asciiHtml): in return the message is one-byte text to V8 and 7-bit
 * to MIME, so copying, measuring and encoding it per recipient costs a fraction of what a
 * two-byte string does (see bench/digest-render.ts). Style blocks, where references mean
 * nothing, are left alone; the templates keep them ASCII.
 */
function asciiOutsideStyles(html: string): string {
  return html
    .split(/(<style[\s\S]*?<\/style>)/i)
    .map((part, i) => (i % 2 === 1 ? part : asciiHtml(part)))
    .join('');
}

/**
 * What goes into each slot for one recipient, escaped for each part. `links` fills the
 * tracked link slots: the recipient's redirects, or the links themselves (web copy, preview).
 */
export function slotValues(recipient: Recipient, links: readonly string[] = []): SlotValues {
  const text: Record<string, string> = {
    greeting: recipient.name ? `Hello ${recipient.name},` : 'Hello,',
    unsubscribe: recipient.unsubscribeUrl,
    preferences: recipient.preferencesUrl,
  };
  links.forEach((link, position) => (text[linkSlot(position)] = link));
  const html: Record<string, string> = {};
  for (const slot of Object.keys(text)) html[slot] = asciiHtml(escapeHtml(text[slot]));
  return { html, text };
}

/** Cuts a digest compiled earlier (stored, then loaded) into its parts. */
export function compiledParts(compiled: CompiledDigest): CompiledParts {
  const pattern = new RegExp(`mh${compiled.placeholderKey}(${SLOTS.join('|')}|link\\d+)`);
  const cut = (content: string, convert: (s: string) => string): CompiledPart => {
    // split() with a capture group alternates text and slot names: [text, slot, text, slot, …, text].
    const pieces = content.split(pattern);
    return { statics: pieces.filter((_, i) => i % 2 === 0).map(convert), slots: pieces.filter((_, i) => i % 2 === 1) as Slot[] };
  };
  return { html: cut(compiled.html, oneByte), text: cut(compiled.text, (s) => s) };
}

/** A part with one recipient's values in its slots. */
export function fillPart(part: CompiledPart, values: Record<string, string>): string {
  let out = part.statics[0];
  for (let i = 0; i < part.slots.length; i++) out += (values[part.slots[i]] ?? '') + part.statics[i + 1];
  return out;
}

/** The personaliser for a compiled digest. */
export function withPersonalise(compiled: CompiledDigest): RenderedDigest {
  const parts = compiledParts(compiled);
  return {
    ...compiled,
    parts,
    personalise(recipient) {
      // Outside a sent message (web copy, preview) a tracked link is the article's own.
      const values = slotValues(recipient, compiled.links ?? []);
      return { html: fillPart(parts.html, values.html), text: fillPart(parts.text, values.text) };
    },
  };
}

/**
 * The same ASCII text, held by V8 as one byte per character. Strings cut from a two-byte
 * string stay two-byte even when all-ASCII, and every copy of them costs double and more.
 */
const oneByte = (ascii: string) => (/^[\x00-\x7f]*$/.test(ascii) ? Buffer.from(ascii, 'latin1').toString('latin1') : ascii);

/** A key that occurs in none of the digest's own text, so its tokens cannot either. */
function placeholderKeyFor(content: DigestContent): string {
  const everything = JSON.stringify(content);
  for (;;) {
    const key = randomBytes(9).toString('hex');
    if (!everything.includes(key)) return key;
  }
}

function articleData(article: DigestArticle) {
  return {
    ...article,
    dateLabel: formatDay(article.publishedAt),
    shortSummary: excerpt(article.summary, 220),
  };
}

/** "Finance, 30 November 2026: <lead headline>"; a digest of several topics names them all. */
export function defaultSubject(content: Pick<DigestContent, 'topic' | 'date' | 'articles' | 'sections'>): string {
  const names = content.sections ? content.sections.map((s) => s.topic.name).join(', ') : content.topic.name;
  return `${names}, ${formatDay(content.date)}: ${content.articles[0].title}`;
}

const dayFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
const formatDay = (date: Date) => dayFormat.format(date);
