import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderDigest, type DigestContent } from '../src/digests/render';
import { htmlFindings } from './helpers/html-validate';

/** The digest's look: article pictures with alt text, and the editor's intro when the digest has one. */

const now = new Date('2026-12-02T09:00:00Z');
const content = (extra: Partial<DigestContent> = {}): DigestContent => ({
  org: { name: 'The Finance Ledger', postalAddress: '12 Example Street, London' },
  topic: { slug: 'finance', name: 'Finance' },
  articles: [
    { title: 'Lead with a picture', url: 'https://news.example.com/a', summary: 'Lead.', publishedAt: now, readingMinutes: 3, author: null, imageUrl: 'https://img.example.com/a.jpg' },
    { title: 'Card with a picture', url: 'https://news.example.com/b', summary: 'Card.', publishedAt: now, readingMinutes: 2, author: null, imageUrl: 'https://img.example.com/b.jpg' },
    { title: 'Card without one', url: 'https://news.example.com/c', summary: 'Card.', publishedAt: now, readingMinutes: 1, author: null, imageUrl: null },
  ],
  programmes: [],
  viewUrl: 'https://masthead.test/digests/1',
  date: now,
  ...extra,
});

describe('the digest’s pictures and the editor’s intro', () => {
  it('gives every article picture its headline as alt text, and none to an article without one', async () => {
    const { html } = await renderDigest(content(), { strict: true });
    const images = [...html.matchAll(/<img\b[^>]*>/g)].map((m) => m[0]).filter((tag) => tag.includes('img.example.com'));
    assert.equal(images.length, 2);
    assert.match(images[0], /alt="Lead with a picture"/);
    assert.match(images[1], /alt="Card with a picture"/);
    assert.doesNotMatch(html, /alt="Card without one"/);
    // The web view serves this HTML: pictures included, it is valid (html-validate, email rules).
    assert.deepEqual(await htmlFindings(html, 'email'), []);
    assert.ok(images.every((tag) => /style="[^"]*height:auto/.test(tag)), 'the height stays automatic, by style');
  });

  it('shows the intro above the lead story in both parts, escaped, and nothing when there is none', async () => {
    const withIntro = (await renderDigest(content({ intro: 'Rates held this week <b>again</b>; here is why it matters.' }), { strict: true })).personalise({ name: null, unsubscribeUrl: 'https://u', preferencesUrl: 'https://p' });
    const intro = withIntro.html.indexOf('Rates held this week &lt;b&gt;again&lt;/b&gt;');
    assert.ok(intro > 0, 'the intro is in the HTML, escaped');
    assert.ok(intro < withIntro.html.indexOf('Lead with a picture'), 'above the lead story');
    assert.match(withIntro.html, /From the editor/);
    assert.match(withIntro.text, /From the editor: Rates held this week <b>again<\/b>; here is why it matters\./);

    const without = (await renderDigest(content(), { strict: true })).personalise({ name: null, unsubscribeUrl: 'https://u', preferencesUrl: 'https://p' });
    assert.doesNotMatch(without.html, /From the editor/);
    assert.doesNotMatch(without.text, /From the editor/);
  });
});
