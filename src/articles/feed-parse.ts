import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { cleanLine, feedText, htmlToPlainText } from './plain-text';

/**
 * Reads an RSS 2.0 (or RSS 1.0) or Atom document into plain items. Every text comes out
 * clean: HTML turned into plain text, whitespace folded, no control characters.
 */

export interface FeedItem {
  guid: string | null;
  url: string | null;
  title: string;
  /** The item's summary as plain text (its description, or the start of its content). */
  summary: string;
  /** The fullest text the item carries, for the reading time. */
  fullText: string;
  publishedAt: Date | null;
  updatedAt: Date | null;
  author: string | null;
  imageUrl: string | null;
  categories: string[];
}

export interface ParsedFeed {
  title: string | null;
  items: FeedItem[];
}

export class FeedFormatError extends Error {}

type Node = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // content:encoded → encoded, dc:creator → creator, media:content → content (RSS only).
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  // Atom text constructs come raw, so their type (text, html, xhtml) decides how to read them.
  stopNodes: ['feed.entry.title', 'feed.entry.summary', 'feed.entry.content'],
  isArray: (name) => ['item', 'entry', 'category', 'link', 'enclosure', 'thumbnail', 'content', 'group'].includes(name),
});

export function parseFeed(xml: string): ParsedFeed {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new FeedFormatError(`the feed is not valid XML (line ${valid.err.line}: ${valid.err.msg.slice(0, 160)})`);
  let doc: Node;
  try {
    doc = parser.parse(xml) as Node;
  } catch (err) {
    throw new FeedFormatError(`the feed could not be read (${(err as Error).message.slice(0, 160)})`);
  }
  const rss = asNode(doc.rss);
  const rdf = asNode(doc.RDF);
  if (rss || rdf) {
    const channel = asNode(rss ? rss.channel : rdf?.channel) ?? {};
    // RSS 1.0 puts its items beside the channel, RSS 2.0 inside it.
    const items = asList(rss ? channel.item : rdf?.item);
    return { title: optionalLine(textOf(channel.title)), items: items.map((item) => rssItem(asNode(item) ?? {})) };
  }
  const feed = asNode(doc.feed);
  if (feed) return { title: optionalLine(textOf(feed.title)), items: asList(feed.entry).map((entry) => atomEntry(asNode(entry) ?? {})) };
  throw new FeedFormatError('the document is neither an RSS nor an Atom feed');
}

function rssItem(item: Node): FeedItem {
  const guidNode = item.guid;
  const guid = optionalLine(textOf(guidNode));
  const permaLink = attr(guidNode, 'isPermaLink') !== 'false';
  // An atom:link beside <link> arrives as an object with attributes; the plain <link> is the text.
  const link = optionalLine(asList(item.link).map(textOf).find(Boolean) ?? '');
  const description = feedText(textOf(item.description));
  const encoded = feedText(textOf(item.encoded));
  return {
    guid,
    url: link ?? (guid && permaLink && /^https?:\/\//i.test(guid) ? guid : null),
    title: feedText(textOf(item.title)),
    summary: description || encoded,
    fullText: encoded.length > description.length ? encoded : description,
    publishedAt: dateOf(item.pubDate) ?? dateOf(item.date),
    updatedAt: null,
    author: personOf(textOf(item.creator) || textOf(item.author)),
    imageUrl: rssImage(item),
    categories: asList(item.category).map((c) => cleanLine(textOf(c))).filter(Boolean),
  };
}

function atomEntry(entry: Node): FeedItem {
  const links = asList(entry.link).map((l) => asNode(l) ?? {});
  const alternate = links.find((l) => !l['@_rel'] || l['@_rel'] === 'alternate') ?? links[0];
  const summary = atomText(entry.summary);
  const content = atomText(asList(entry.content)[0]);
  const image = links.find((l) => l['@_rel'] === 'enclosure' && String(l['@_type'] ?? '').startsWith('image/'));
  return {
    guid: optionalLine(textOf(entry.id)),
    url: optionalLine(String(alternate?.['@_href'] ?? '')),
    title: atomText(entry.title),
    summary: summary || content,
    fullText: content.length > summary.length ? content : summary,
    publishedAt: dateOf(entry.published) ?? dateOf(entry.updated),
    updatedAt: dateOf(entry.updated),
    author: personOf(textOf(asNode(entry.author)?.name)),
    imageUrl: optionalLine(String(image?.['@_href'] ?? '')) ?? mediaImage(entry),
    categories: asList(entry.category)
      .map((c) => cleanLine(String(attr(c, 'label') ?? attr(c, 'term') ?? '')))
      .filter(Boolean),
  };
}

/** An Atom text construct, kept raw by the parser: type="text" (the default), "html" or "xhtml". */
function atomText(node: unknown): string {
  const raw = textOf(node);
  const type = attr(node, 'type') ?? 'text';
  if (type === 'xhtml') return htmlToPlainText(raw);
  const decoded = unescapeXml(raw);
  return type === 'html' || type === 'text/html' ? htmlToPlainText(decoded) : cleanLine(decoded);
}

function rssImage(item: Node): string | null {
  const enclosure = asList(item.enclosure)
    .map((e) => asNode(e) ?? {})
    .find((e) => String(e['@_type'] ?? '').startsWith('image/'));
  return optionalLine(String(enclosure?.['@_url'] ?? '')) ?? mediaImage(item);
}

/** Media RSS: media:content (medium or type image), inside media:group or not, else media:thumbnail. */
function mediaImage(node: Node): string | null {
  const groups = asList(node.group).map((g) => asNode(g) ?? {});
  const contents = [node, ...groups].flatMap((n) => asList(n.content)).map((c) => asNode(c) ?? {});
  const picture = contents.find((c) => c['@_url'] && (c['@_medium'] === 'image' || String(c['@_type'] ?? '').startsWith('image/')));
  if (picture) return optionalLine(String(picture['@_url']));
  const thumbnail = [node, ...groups].flatMap((n) => asList(n.thumbnail)).map((t) => asNode(t) ?? {})[0];
  return optionalLine(String(thumbnail?.['@_url'] ?? ''));
}

/** RSS <author> holds "address (Name)": keep the name, never an address. */
function personOf(value: string): string | null {
  const inParens = /\(([^)]+)\)\s*$/.exec(value)?.[1];
  const name = cleanLine(inParens ?? value);
  if (!name || name.includes('@')) return null;
  return name.slice(0, 200);
}

function dateOf(value: unknown): Date | null {
  const text = cleanLine(textOf(value));
  if (!text) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

function textOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return textOf(value[0]);
  if (typeof value === 'object') return textOf((value as Node)['#text']);
  return String(value);
}

function attr(value: unknown, name: string): string | undefined {
  const node = asNode(Array.isArray(value) ? value[0] : value);
  const found = node?.[`@_${name}`];
  return found === undefined ? undefined : String(found);
}

const asNode = (value: unknown): Node | undefined => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Node) : undefined);
const asList = (value: unknown): unknown[] => (value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]);
const optionalLine = (value: string) => cleanLine(value) || null;

const XML_ESCAPES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Undoes XML escaping in raw element content; CDATA sections are literal. */
function unescapeXml(raw: string): string {
  return raw
    .split(/(<!\[CDATA\[[\s\S]*?\]\]>)/)
    .map((part) =>
      part.startsWith('<![CDATA[')
        ? part.slice(9, -3)
        : part.replace(/&(#x[0-9a-f]+|#\d+|lt|gt|amp|quot|apos);/gi, (whole, name: string) => {
            if (name[0] !== '#') return XML_ESCAPES[name.toLowerCase()] ?? whole;
            const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
            return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
          }),
    )
    .join('');
}
