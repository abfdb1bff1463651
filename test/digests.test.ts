import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import request from 'supertest';
import { AppError } from '../src/errors';
import { renderEmail } from '../src/mail/render';
import { composeDigest, recipientFor, type DigestDeps } from '../src/digests/service';
import { renderDigest, type DigestContent } from '../src/digests/render';
import { localPath, startTestApp, TEST_BASE_URL, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { createProgramme } from './helpers/factories';
import { linksIn } from './helpers/smtp';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const HOSTILE_TITLE = '<script>alert("pwned")</script> Bank & "Trust" <img src=x onerror=alert(1)>';

interface ArticleView {
  id: number;
  title: string;
  url: string;
  summary: string;
  publishedAt: string;
  readingMinutes: number;
  author: string | null;
  imageUrl: string | null;
}

/** Numeric references back to characters: the digest's HTML writes everything beyond ASCII as one. */
const decoded = (html: string) => html.replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)));

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

describeEachEngine('digests', (engine) => {
  let t: TestApp;
  let deps: DigestDeps;
  let counter = 0;
  before(async () => {
    t = await startTestApp(engine);
    deps = { db: t.db, config: t.config };
  });
  after(async () => {
    await t.close();
  });

  async function addArticle(topic: string, ageMs: number, overrides: Record<string, unknown> = {}): Promise<ArticleView> {
    counter++;
    const r = await t.admin('post', '/api/admin/articles').send({
      title: `${topic} story ${counter}`,
      url: `https://news.example.com/${topic}/${counter}`,
      summary: `What happened in ${topic} today, story number ${counter}.`,
      topic,
      publishedAt: new Date(Date.now() - ageMs).toISOString(),
      ...overrides,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  }

  const titlesOf = async (digestId: string) =>
    (await t.db('digest_articles').join('articles', 'articles.id', 'digest_articles.article_id').where({ digest_id: digestId }).orderBy('position').select('articles.title')).map(
      (r: { title: string }) => r.title,
    );

  async function rejectsAsNothingNew(promise: Promise<unknown>) {
    await assert.rejects(promise, (err: unknown) => err instanceof AppError && err.status === 409 && err.code === 'no_new_articles');
  }

  it('chooses the last 7 days’ articles, newest first, up to the limit, never one an earlier digest carried', async () => {
    const newest = await addArticle('investing', 1 * HOUR);
    const second = await addArticle('investing', 2 * HOUR);
    const third = await addArticle('investing', 3 * DAY);
    await addArticle('investing', 8 * DAY); // outside the window
    const scheduled = await addArticle('investing', -2 * HOUR); // published in two hours
    await addArticle('banking', 1 * HOUR); // another topic

    const first = await composeDigest(deps, { topic: 'investing', limit: 2 });
    assert.deepEqual(await titlesOf(first.id), [newest.title, second.title]);
    assert.match(first.subject, new RegExp(`^Investing, \\d{1,2} \\w+ \\d{4}: ${newest.title}$`), 'topic, date and lead headline');

    const next = await composeDigest(deps, { topic: 'investing' });
    assert.deepEqual(await titlesOf(next.id), [third.title], 'what the first digest carried is not carried again');
    await rejectsAsNothingNew(composeDigest(deps, { topic: 'investing' }));

    // Once its time has come, the scheduled article is new; the 8-day-old one never is.
    const later = await composeDigest(deps, { topic: 'investing' }, new Date(Date.now() + 3 * HOUR));
    assert.deepEqual(await titlesOf(later.id), [scheduled.title]);
    await rejectsAsNothingNew(composeDigest(deps, { topic: 'investing' }, new Date(Date.now() + 3 * HOUR)));

    // An article ages out of the window after 7 days.
    const aging = await addArticle('investing', 6 * DAY);
    await rejectsAsNothingNew(composeDigest(deps, { topic: 'investing' }, new Date(Date.parse(aging.publishedAt) + 7 * DAY + 1000)));
    const stored = await t.db('digests').where({ id: first.id }).first();
    assert.equal(stored.status, 'composed');
    assert.equal(stored.subject, first.subject);
  });

  it('leaves test digests aside: they use no article up', async () => {
    const a = await addArticle('insurance', 2 * HOUR);
    const b = await addArticle('insurance', 3 * HOUR);
    const test = await composeDigest(deps, { topic: 'insurance', isTest: true, subject: 'Test send' });
    assert.equal(test.subject, 'Test send', 'the admin’s subject');
    assert.deepEqual(await titlesOf(test.id), [a.title, b.title]);
    const real = await composeDigest(deps, { topic: 'insurance' });
    assert.deepEqual(await titlesOf(real.id), [a.title, b.title]);
    await rejectsAsNothingNew(composeDigest(deps, { topic: 'insurance', isTest: true }));
  });

  it('previews the digest as it would go out now, with placeholder links, storing nothing', async () => {
    const nothing = await t.admin('get', '/api/admin/digests/preview?topic=fintech');
    assert.equal(nothing.status, 409);
    assert.equal(nothing.body.error.code, 'no_new_articles');

    const programme = await createProgramme(t, { name: 'Fintech Pioneers 2027 — Call for Entries', timeZone: 'America/New_York', closesAt: '2027-03-31T03:59:00Z' });
    const hostile = await addArticle('fintech', 1 * HOUR, { title: HOSTILE_TITLE, imageUrl: 'https://img.example.com/lead.jpg', author: 'Ana Silva' });
    const others = [await addArticle('fintech', 2 * HOUR), await addArticle('fintech', 3 * HOUR, { imageUrl: 'https://img.example.com/card.jpg' })];
    const digestsBefore = await t.db('digests').count({ n: '*' });

    const r = await t.admin('get', '/api/admin/digests/preview?topic=fintech&limit=10').expect(200);
    assert.match(r.headers['content-type'], /^text\/html/);
    const html = r.text;
    for (const article of [hostile, ...others]) {
      assert.ok(html.includes(escapeHtml(article.title)), `title of ${article.url}`);
      assert.ok(html.includes(`href="${article.url}"`), `link to ${article.url}`);
    }
    assert.doesNotMatch(html, /<script/i, 'a hostile title stays text');
    assert.doesNotMatch(html, /<img src=x/i);
    assert.match(html, /alt="&lt;script&gt;alert\(&quot;pwned&quot;\)/, 'the lead image has the headline as alt text');
    assert.match(html, /Call for entries/);
    assert.ok(html.includes(`href="${TEST_BASE_URL}/awards/${programme.slug}"`), 'links to the open programme');
    assert.ok(decoded(html).includes('Fintech Pioneers 2027 — Call for Entries'));
    assert.match(decoded(html), /Tuesday,? 30 March 2027, 23:59 GMT-4/, 'the deadline in the programme’s time zone');
    assert.match(html, /^[\x00-\x7f]*$/, 'the HTML is 7-bit: anything else is a numeric reference');
    assert.ok(html.includes(`href="${TEST_BASE_URL}/newsletter/unsubscribe?token=preview"`));
    assert.ok(html.includes(`href="${TEST_BASE_URL}/newsletter/preferences?token=preview"`));
    assert.match(html, />View in browser</);
    assert.ok(html.includes(t.config.postalAddress));
    assert.doesNotMatch(html, /mh[0-9a-f]{18}/, 'no placeholder is left unfilled');
    assert.deepEqual(await t.db('digests').count({ n: '*' }), digestsBefore, 'a preview stores nothing');

    const limited = await t.admin('get', '/api/admin/digests/preview?topic=fintech&limit=1').expect(200);
    assert.ok(!limited.text.includes(others[0].url));

    for (const query of ['', 'topic=astrology', 'topic=fintech&limit=0', 'topic=fintech&limit=51', 'topic=fintech&limit=ten']) {
      const bad = await t.admin('get', `/api/admin/digests/preview?${query}`);
      assert.ok(bad.status === 422, `${query}: ${bad.status}`);
      assert.equal(bad.body.error.code, 'validation_failed');
    }
    assert.equal((await request(t.app).get('/api/admin/digests/preview?topic=fintech')).status, 401);
  });

  it('renders once, then gives each recipient their own links and name and nothing else different', async () => {
    await createProgramme(t, { name: 'Banking Excellence Awards 2027' });
    await addArticle('banking', 2 * HOUR, { title: 'Lead banking story', imageUrl: 'https://img.example.com/b.jpg' });
    await addArticle('banking', 5 * HOUR);
    await t
      .admin('post', '/api/admin/subscribers/import?status=confirmed&consentNote=test')
      .send({ subscribers: [{ email: 'alice@example.com', name: 'Alice', topics: ['banking'] }, { email: 'eve@example.com', name: '<b>Eve</b> & co', topics: ['banking'] }] })
      .expect(200);
    const alice = await t.db('subscribers').where({ email: 'alice@example.com' }).first();
    const eve = await t.db('subscribers').where({ email: 'eve@example.com' }).first();

    const digest = await composeDigest(deps, { topic: 'banking' });
    const forAlice = digest.rendered.personalise(recipientFor(deps, alice));
    const forEve = digest.rendered.personalise(recipientFor(deps, eve));
    const aliceLinks = recipientFor(deps, alice);
    const eveLinks = recipientFor(deps, eve);

    assert.ok(forAlice.html.includes(`href="${aliceLinks.unsubscribeUrl}"`));
    assert.ok(forAlice.html.includes(`href="${aliceLinks.preferencesUrl}"`));
    assert.ok(!forAlice.html.includes(eveLinks.unsubscribeUrl));
    assert.match(forAlice.html, /Hello Alice,/);
    assert.match(forEve.html, /Hello &lt;b&gt;Eve&lt;\/b&gt; &amp; co,/, 'a name is escaped in the HTML');
    const josé = digest.rendered.personalise({ ...aliceLinks, name: 'José Núñez' });
    assert.match(josé.html, /Hello Jos&#233; N&#250;&#241;ez,/, 'and kept 7-bit like the rest');
    assert.match(josé.text, /Hello José Núñez,/);
    assert.match(forEve.text, /Hello <b>Eve<\/b> & co,/, 'and plain in the text');

    const neutral = (part: string, who: typeof aliceLinks, name: string) =>
      part.replaceAll(who.unsubscribeUrl, 'UNSUBSCRIBE').replaceAll(who.preferencesUrl, 'PREFERENCES').replaceAll(name, 'NAME');
    assert.equal(neutral(forAlice.html, aliceLinks, 'Alice'), neutral(forEve.html, eveLinks, '&lt;b&gt;Eve&lt;/b&gt; &amp; co'));
    assert.equal(neutral(forAlice.text, aliceLinks, 'Alice'), neutral(forEve.text, eveLinks, '<b>Eve</b> & co'));

    // The text part carries every link of the HTML part.
    const textLinks = new Set(linksIn({ text: forAlice.text } as never));
    const htmlLinks = [...forAlice.html.matchAll(/href="(https?:[^"]+)"/g)].map((m) => m[1].replaceAll('&amp;', '&'));
    for (const link of htmlLinks) assert.ok(textLinks.has(link), `text has ${link}`);
    assert.ok(textLinks.has(`${TEST_BASE_URL}/digests/${digest.id}`), 'view in browser');
    assert.ok(htmlLinks.some((l) => l.startsWith(`${TEST_BASE_URL}/awards/`)));

    // Alice's link works: it opens her unsubscribe page.
    const page = await request(t.app).get(localPath(aliceLinks.unsubscribeUrl));
    assert.equal(page.status, 200);
    assert.match(page.text, /Unsubscribe/);
  });

  it('composes digests of one topic one at a time: two at once never carry the same article', async () => {
    const stories = [await addArticle('banking', 1 * HOUR), await addArticle('banking', 2 * HOUR)];
    const outcomes = await Promise.allSettled([composeDigest(deps, { topic: 'banking' }), composeDigest(deps, { topic: 'banking' })]);
    const made = outcomes.filter((o) => o.status === 'fulfilled');
    assert.equal(made.length, 1, 'one digest, the other found nothing new');
    assert.deepEqual(await titlesOf(made[0].value.id), stories.map((s) => s.title));
    const refused = outcomes.find((o) => o.status === 'rejected');
    assert.equal((refused?.reason as AppError).code, 'no_new_articles');
  });

  it('passes MJML’s strict validation, and so does the subscription confirmation on the shared layout', async () => {
    const now = new Date();
    const content: DigestContent = {
      org: { name: t.config.orgName, postalAddress: t.config.postalAddress },
      topic: { slug: 'finance', name: 'Finance' },
      articles: [
        { title: HOSTILE_TITLE, url: 'https://news.example.com/a', summary: 'Lead.', publishedAt: now, readingMinutes: 3, author: 'A. Writer', imageUrl: 'https://img.example.com/a.jpg' },
        { title: 'With a picture', url: 'https://news.example.com/b', summary: 'Card.', publishedAt: now, readingMinutes: 2, author: null, imageUrl: 'https://img.example.com/b.jpg' },
        { title: 'Without one', url: 'https://news.example.com/c', summary: 'Card.', publishedAt: now, readingMinutes: 1, author: null, imageUrl: null },
      ],
      programmes: [{ name: 'Awards', url: `${TEST_BASE_URL}/awards/x`, closesAt: new Date(now.getTime() + DAY), timeZone: 'Asia/Singapore' }],
      viewUrl: `${TEST_BASE_URL}/digests/x`,
      date: now,
    };
    const rendered = await renderDigest(content, { strict: true });
    assert.ok(rendered.html.length > 0);
    const confirmation = await renderEmail(
      'subscription-confirmation',
      { subject: 'Confirm', org: content.org, topics: ['Finance'], confirmUrl: `${TEST_BASE_URL}/newsletter/confirm?token=x`, name: 'Alice' },
      { strict: true },
    );
    assert.match(confirmation.html, /Confirm my subscription/);
  });

  it('serves a stored digest as a web page without anyone’s links, and 404 for an unknown one', async () => {
    const story = await addArticle('finance', 1 * HOUR, { title: 'Web view story' });
    const digest = await composeDigest(deps, { topic: 'finance' });
    const r = await request(t.app).get(`/digests/${digest.id}`).expect(200);
    assert.match(r.headers['content-type'], /^text\/html/);
    assert.equal(r.headers['x-robots-tag'], 'noindex');
    assert.ok(r.text.includes(story.url));
    assert.match(r.text, /Web view story/);
    assert.match(r.text, /Hello, here are the latest Finance stories/);
    assert.doesNotMatch(r.text, /token=/, 'no personal link');
    assert.doesNotMatch(r.text, new RegExp(`mh${digest.rendered.placeholderKey}`));
    assert.ok(r.text.includes(`href="${TEST_BASE_URL}/newsletter"`));

    const unknown = await request(t.app).get('/digests/AAAAAAAAAAAAAAAA');
    assert.equal(unknown.status, 404);
    assert.match(unknown.headers['content-type'], /^text\/html/);
    assert.equal((await request(t.app).get('/digests/not-an-id')).status, 404);
  });
});
