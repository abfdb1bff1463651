import { randomBytes } from 'node:crypto';
import { excerpt } from '../articles/plain-text';
import { formatInZone } from '../awards/time';
import { renderEmail, type Organisation } from '../mail/render';

/**
 * Renders a digest once and personalises it per recipient cheaply.
 *
 * MJML runs once per digest, with placeholder tokens where each recipient's details go
 * (greeting, unsubscribe and preferences links). A token is "mh" + a random key + a slot
 * name; the key is drawn for each render and redrawn until no input text contains it, so a
 * token can only stand where the template put it. `personalise` then splices escaped values
 * into the compiled HTML and text: no MJML, no template engine, a few string joins.
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

export interface DigestContent {
  org: Organisation;
  topic: { slug: string; name: string };
  /** Newest first; the first is the lead story. At least one. */
  articles: DigestArticle[];
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
}

export interface RenderedDigest extends CompiledDigest {
  personalise(recipient: Recipient): PersonalisedDigest;
}

const SLOTS = ['greeting', 'unsubscribe', 'preferences'] as const;
type Slot = (typeof SLOTS)[number];

const token = (key: string, slot: Slot) => `mh${key}${slot}`;

export async function renderDigest(content: DigestContent, options: { strict?: boolean } = {}): Promise<RenderedDigest> {
  if (!content.articles.length) throw new Error('a digest needs at least one article');
  const key = placeholderKeyFor(content);
  const [lead, ...rest] = content.articles.map(articleData);
  const subject = content.subject ?? defaultSubject(content);
  const { html, text } = await renderEmail(
    'digest',
    {
      subject,
      title: `${content.topic.name} digest, ${formatDay(content.date)} · ${content.org.name}`,
      org: content.org,
      topic: content.topic,
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
      footerNote: `You receive this email because you subscribed to ${content.topic.name} news from ${content.org.name}.`,
    },
    options,
  );
  return withPersonalise({ subject, html: asciiHtml(html), text, placeholderKey: key });
}

/**
 * The HTML with every non-ASCII character written as a numeric reference (’ → &#8217;), so it
 * reads the same in any client. In return the message is one-byte text to V8 and 7-bit to
 * MIME: copying, measuring and encoding it per recipient costs a fraction of what a two-byte
 * string does (see bench/digest-render.ts). Style blocks, where references mean nothing,
 * are left alone; the templates keep them ASCII.
 */
function asciiHtml(html: string): string {
  return html
    .split(/(<style[\s\S]*?<\/style>)/i)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/[^\x00-\x7f]/gu, (c) => `&#${c.codePointAt(0)};`)))
    .join('');
}

/** Matches the placeholders of a digest compiled with `key`; group 1 is the slot's name. */
export const placeholderPattern = (key: string) => new RegExp(`mh${key}(${SLOTS.join('|')})`);

/** What goes into each slot for one recipient, unescaped (the caller escapes for its part). */
export function slotValues(recipient: Recipient): Record<Slot, string> {
  return {
    greeting: recipient.name ? `Hello ${recipient.name},` : 'Hello,',
    unsubscribe: recipient.unsubscribeUrl,
    preferences: recipient.preferencesUrl,
  };
}

/** The personaliser for a digest compiled earlier (stored, then loaded). */
export function withPersonalise(compiled: CompiledDigest): RenderedDigest {
  const pattern = placeholderPattern(compiled.placeholderKey);
  // split() with a capture group alternates text and slot names: [text, slot, text, slot, …, text].
  const htmlParts = compiled.html.split(pattern).map(oneByte);
  const textParts = compiled.text.split(pattern);
  return {
    ...compiled,
    personalise(recipient) {
      const raw = slotValues(recipient);
      return { html: fill(htmlParts, raw, escapeHtml), text: fill(textParts, raw, (s) => s) };
    },
  };
}

/**
 * The same ASCII text, held by V8 as one byte per character. Strings cut from a two-byte
 * string stay two-byte even when all-ASCII, and every copy of them costs double and more.
 */
const oneByte = (ascii: string) => (/^[\x00-\x7f]*$/.test(ascii) ? Buffer.from(ascii, 'latin1').toString('latin1') : ascii);

function fill(parts: string[], values: Record<Slot, string>, escape: (s: string) => string): string {
  let out = parts[0];
  for (let i = 1; i < parts.length; i += 2) out += escape(values[parts[i] as Slot]) + parts[i + 1];
  return out;
}

/** A key that occurs in none of the digest's own text, so its tokens cannot either. */
function placeholderKeyFor(content: DigestContent): string {
  const everything = JSON.stringify(content);
  for (;;) {
    const key = randomBytes(9).toString('hex');
    if (!everything.includes(key)) return key;
  }
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Escaped for HTML text and attributes, and ASCII like the rest of the compiled HTML. */
const escapeHtml = (value: string) => value.replace(/[&<>"']|[^\x00-\x7f]/gu, (c) => HTML_ESCAPES[c] ?? `&#${c.codePointAt(0)};`);

function articleData(article: DigestArticle) {
  return {
    ...article,
    dateLabel: formatDay(article.publishedAt),
    shortSummary: excerpt(article.summary, 220),
  };
}

/** "Finance, 30 November 2026: <lead headline>". */
export function defaultSubject(content: Pick<DigestContent, 'topic' | 'date' | 'articles'>): string {
  return `${content.topic.name}, ${formatDay(content.date)}: ${content.articles[0].title}`;
}

const dayFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
const formatDay = (date: Date) => dayFormat.format(date);
