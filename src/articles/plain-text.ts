import { convert } from 'html-to-text';

/**
 * Text as Masthead stores it: plain, on one line, without control characters (so it can go
 * into a mail header or a placeholder-free template), whatever a feed sent.
 */

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** Whitespace folded, control characters gone. */
export function cleanLine(value: string): string {
  return value.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
}

const HEADINGS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } }));

/** An HTML fragment from a feed as clean plain text: no tags, scripts, images or link targets; entities decoded. */
export function htmlToPlainText(html: string): string {
  const text = convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'script', format: 'skip' },
      { selector: 'style', format: 'skip' },
      { selector: 'iframe', format: 'skip' },
      { selector: 'table', format: 'block' },
      ...HEADINGS,
    ],
  });
  return cleanLine(text);
}

/** Whether a feed's text field holds markup rather than plain text. */
export const looksLikeHtml = (value: string) => /<\/?[a-z][^>]*>|&(#\d+|#x[0-9a-f]+|[a-z]+);/i.test(value);

export const feedText = (value: string) => (looksLikeHtml(value) ? htmlToPlainText(value) : cleanLine(value));

/** At most `max` characters, cut at a word with an ellipsis. */
export function excerpt(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return (space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:.-]+$/, '') + '…';
}

const WORDS_PER_MINUTE = 230;

/** Minutes an adult reader needs for the text, at least one. */
export function readingMinutesFor(text: string): number {
  const words = text.split(/\s+/).filter(Boolean).length;
  return Math.max(1, Math.round(words / WORDS_PER_MINUTE));
}

const TRACKING_PARAMETER = /^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid)$/i;

/**
 * The canonical form of an article's address, the key articles are matched by: no fragment,
 * no campaign-tracking parameters. Null for anything that is not an http(s) URL.
 */
export function canonicalUrl(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  url.hash = '';
  // Touching searchParams re-encodes the whole query, so only when there is something to drop.
  const tracking = [...url.searchParams.keys()].filter((name) => TRACKING_PARAMETER.test(name));
  for (const name of tracking) url.searchParams.delete(name);
  return url.toString();
}
