/**
 * HTML escaping, one helper for the whole codebase (pages, digests, messages).
 * `escapeHtml` makes text safe in element content and quoted attributes; `asciiHtml` writes
 * every non-ASCII character as a numeric reference (’ → &#8217;), which means the same in
 * any client and keeps a part 7-bit and one byte per character in V8.
 */
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);

export const asciiHtml = (value: string) => value.replace(/[^\x00-\x7f]/gu, (c) => `&#${c.codePointAt(0)};`);
