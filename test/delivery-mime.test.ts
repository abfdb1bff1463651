import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { compileDigestMessage, digestMessageId } from '../src/delivery/mime';
import { compiledParts, renderDigest, slotValues, type CompiledDigest, type Recipient } from '../src/digests/render';

/**
 * Golden files for the MIME builder: a fixed compiled digest and recipient must give these
 * exact bytes (UPDATE_GOLDEN=1 writes them anew; read the diff before committing it), and
 * the bytes must decode, through mailparser, to the digest with the recipient's own links.
 */
const fixtures = path.join(import.meta.dirname, 'fixtures', 'mime');
const KEY = '0123456789abcdef01';
const t = (slot: string) => `mh${KEY}${slot}`;

const compiled: CompiledDigest = {
  subject: 'Finance, 2 December 2026: Rates – up again',
  placeholderKey: KEY,
  html:
    '<!DOCTYPE html>\n<html><head><style>p { color: #111; }</style></head><body>\n' +
    `<p>${t('greeting')}</p>\n<p>Caf&#233; news &amp; more</p>\n` +
    // One line longer than SMTP allows: the builder breaks it between tags.
    `<div>${Array.from({ length: 40 }, (_, i) => `<span class="story">Story number ${i}</span>`).join('')}</div>\n` +
    `<p><a href="${t('preferences')}">Preferences</a> &middot; <a href="${t('unsubscribe')}">Unsubscribe</a></p>\n</body></html>\n`,
  text:
    `${t('greeting')}\n\nCafé news & more — a line of plain text long enough that quoted-printable must wrap it somewhere.\n\n` +
    `Preferences: ${t('preferences')}\nUnsubscribe: ${t('unsubscribe')}\n`,
};

const recipient: Recipient = {
  name: 'Zoë O\'Brien <&>',
  unsubscribeUrl: 'https://news.example.com/newsletter/unsubscribe?token=abc.def&x=1',
  preferencesUrl: 'https://news.example.com/newsletter/preferences?token=abc.def&x=1',
};

const date = new Date('2026-12-02T07:00:00Z');
const messageId = digestMessageId('golden-secret', 'AAAAAAAAAAAAAAAA', 'zoe@example.com', 'news.example.com');

function build(to = 'zoe@example.com') {
  const template = compileDigestMessage({
    from: 'The Finance Ledger <newsletter@news.example.com>',
    subject: compiled.subject,
    listId: '"The Finance Ledger: Finance" <finance.newsletter.news.example.com>',
    parts: compiledParts(compiled),
    boundary: '----=_masthead_golden',
  });
  return template.build({ to, unsubscribeUrl: recipient.unsubscribeUrl, messageId, slots: slotValues(recipient) }, undefined, date);
}

function golden(name: string, bytes: Buffer): Buffer {
  const file = path.join(fixtures, name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) writeFileSync(file, bytes);
  return readFileSync(file);
}

describe('the digest MIME builder', () => {
  it('builds the golden message byte for byte', () => {
    const bytes = build();
    assert.equal(bytes.toString('latin1'), golden('digest.eml', bytes).toString('latin1'));
  });

  it('gives the same bytes whether or not it writes into a scratch buffer', () => {
    const template = compileDigestMessage({ from: 'A <a@example.com>', subject: 's', listId: 'l', parts: compiledParts(compiled), boundary: 'b' });
    const values = { to: 'zoe@example.com', unsubscribeUrl: recipient.unsubscribeUrl, messageId, slots: slotValues(recipient) };
    const scratch = Buffer.alloc(64 * 1024);
    const intoScratch = Buffer.from(template.build(values, scratch, date));
    assert.equal(intoScratch.buffer === scratch.buffer, false, 'copied out for the comparison');
    assert.deepEqual(intoScratch, template.build(values, undefined, date));
  });

  it('keeps every line within SMTP’s limit and the message 7-bit', () => {
    const bytes = build();
    for (const line of bytes.toString('latin1').split('\r\n')) assert.ok(line.length <= 998, `line of ${line.length}`);
    assert.ok(bytes.every((b) => b < 0x80), 'ASCII only');
    assert.equal(/(?<!\r)\n/.test(bytes.toString('latin1')), false, 'CRLF line ends only');
  });

  it('decodes to the digest with the recipient’s headers and links (mailparser)', async () => {
    const mail = await simpleParser(build());
    assert.equal(mail.subject, compiled.subject);
    assert.equal(mail.from?.value[0].address, 'newsletter@news.example.com');
    assert.equal(mail.from?.value[0].name, 'The Finance Ledger');
    assert.equal((mail.to as { value: { address: string }[] }).value[0].address, 'zoe@example.com');
    assert.equal(mail.messageId, `<${messageId}>`);
    assert.equal(mail.date?.toISOString(), date.toISOString());
    const header = (name: string) => mail.headerLines.find((h) => h.key === name)?.line.slice(name.length + 1).trim();
    assert.equal(header('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
    assert.equal(header('list-unsubscribe'), `<${recipient.unsubscribeUrl}>`);
    assert.equal(header('list-id'), '"The Finance Ledger: Finance" <finance.newsletter.news.example.com>');

    const html = String(mail.html);
    assert.ok(html.includes('<p>Hello Zo&#235; O&#39;Brien &lt;&amp;&gt;,</p>'), 'greeting escaped and ASCII');
    assert.ok(html.includes('href="https://news.example.com/newsletter/preferences?token=abc.def&amp;x=1"'));
    assert.ok(html.includes('href="https://news.example.com/newsletter/unsubscribe?token=abc.def&amp;x=1"'));
    assert.ok(html.includes('Story number 39</span></div>'));
    assert.equal(html.includes(`mh${KEY}`), false, 'no placeholder left');

    const text = String(mail.text);
    assert.ok(text.startsWith("Hello Zoë O'Brien <&>,\n\nCafé news & more — a line of plain text long enough"), text.slice(0, 120));
    assert.ok(text.includes(`Preferences: ${recipient.preferencesUrl}\n`));
    assert.ok(text.includes(`Unsubscribe: ${recipient.unsubscribeUrl}\n`));
  });

  it('encodes an internationalised address and a long personal value without breaking the text part', async () => {
    const long: Recipient = { ...recipient, name: 'Ω'.repeat(120) };
    const template = compileDigestMessage({ from: 'A <a@example.com>', subject: 's', listId: 'l', parts: compiledParts(compiled), boundary: 'b' });
    const bytes = template.build({ to: 'zoë@example.com', unsubscribeUrl: long.unsubscribeUrl, messageId, slots: slotValues(long) }, undefined, date);
    for (const line of bytes.toString('latin1').split('\r\n')) assert.ok(line.length <= 998);
    const mail = await simpleParser(bytes);
    assert.ok(String(mail.text).startsWith(`Hello ${'Ω'.repeat(120)},`));
    assert.equal((mail.to as { value: { address: string }[] }).value[0].address, 'zoë@example.com');
  });

  it('carries a real rendered digest: every slot filled, nothing of the template’s tokens left', async () => {
    const now = new Date('2026-12-02T07:00:00Z');
    const rendered = await renderDigest({
      org: { name: 'The Finance Ledger', postalAddress: '1 Fleet Street, London' },
      topic: { slug: 'finance', name: 'Finance' },
      articles: [{ title: 'Rates – up', url: 'https://news.example.com/a', summary: 'Lead story.', publishedAt: now, readingMinutes: 3, author: null, imageUrl: null }],
      programmes: [],
      viewUrl: 'https://news.example.com/digests/x',
      date: now,
    });
    const template = compileDigestMessage({ from: 'A <a@example.com>', subject: rendered.subject, listId: 'l', parts: rendered.parts });
    const mail = await simpleParser(template.build({ to: 'zoe@example.com', unsubscribeUrl: recipient.unsubscribeUrl, messageId, slots: slotValues(recipient) }));
    assert.equal(mail.subject, 'Finance, 2 December 2026: Rates – up');
    for (const part of [String(mail.html), String(mail.text)]) assert.equal(part.includes(`mh${rendered.placeholderKey}`), false);
    assert.ok(String(mail.html).includes('href="https://news.example.com/newsletter/unsubscribe?token=abc.def&amp;x=1"'));
    assert.ok(String(mail.text).includes(recipient.preferencesUrl));
    // The message and the personalised copy come from the same parts: same text, same HTML but for line breaks.
    const personal = rendered.personalise(recipient);
    assert.equal(String(mail.text).replace(/\r\n/g, '\n').trim(), personal.text.trim());
    assert.equal(String(mail.html).replace(/\s+/g, ''), personal.html.replace(/\s+/g, ''));
  });
});
