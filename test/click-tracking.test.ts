import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { clickUrls } from '../src/clicks/links';
import { startTestApp, TEST_BASE_URL, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { addArticles, addConfirmedSubscribers, waitForDigest } from './helpers/sending';
import type { ReceivedMail } from './helpers/smtp';
import { htmlFindings } from './helpers/html-validate';
import { createStaff, signIn } from './helpers/staff';

/**
 * Issue 13, click counts (TRACK_CLICKS=1): article links in a sent digest are signed
 * redirects per delivery; unique clicks per link on the digest's stats; the web copy and
 * untracked digests link straight to the article.
 */

const addressedTo = (reader: string) => (m: { to?: unknown }) => JSON.stringify(m.to ?? '').includes(`"${reader}"`);
const redirectsIn = (body: string) => [...new Set(body.match(new RegExp(`${TEST_BASE_URL}/r/[A-Za-z0-9_.-]+`, 'g')) ?? [])];
const tokenOf = (link: string) => link.slice(`${TEST_BASE_URL}/r/`.length);

async function sendDigestTo(t: TestApp, topic: string, readers: string[]) {
  await addArticles(t, topic, 2);
  await addConfirmedSubscribers(t, readers.map((email) => ({ email, topics: [topic] })));
  const sent = await t.admin('post', '/api/admin/digests').send({ topic }).expect(202);
  await waitForDigest(t, sent.body.id, ['sent']);
  const mails: ReceivedMail[] = [];
  for (const reader of readers) mails.push((await t.smtp.waitFor(addressedTo(reader)))[0]);
  return { id: sent.body.id as string, mails };
}

describeEachEngine('click counts', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine, { TRACK_CLICKS: '1' });
  });
  after(async () => {
    await t.close();
  });

  it('article links are per-delivery signed redirects; each leads to its article; clicks count once per reader and link', async () => {
    const { id, mails } = await sendDigestTo(t, 'finance', ['ana.reader@example.com', 'ben.reader@example.com']);
    const articleUrls: string[] = JSON.parse((await t.db('digests').where({ id }).first('links')).links);
    assert.equal(articleUrls.length, 2);

    const [ana, ben] = mails.map((m) => ({ html: redirectsIn(String(m.html)), text: redirectsIn(String(m.text)), mail: m }));
    assert.equal(ana.html.length, 2, 'one redirect per article link');
    assert.deepEqual(ana.text, ana.html, 'the text part carries the same redirects');
    for (const url of articleUrls) {
      assert.ok(!String(ana.mail.html).includes(`href="${url}"`), 'no article is linked directly in a tracked email');
      assert.ok(!String(ana.mail.text).includes(url));
    }
    assert.notDeepEqual(ana.html, ben.html, 'each delivery has its own links');

    // Each redirect leads to its own article, read from the stored digest.
    for (const [position, link] of ana.html.entries()) {
      const r = await t.agent().get(`/r/${tokenOf(link)}`).expect(302);
      assert.equal(r.headers.location, articleUrls[position]);
    }
    // Ana clicks the first link again, Ben clicks the first link once.
    await t.agent().get(`/r/${tokenOf(ana.html[0])}`).expect(302);
    await t.agent().get(`/r/${tokenOf(ben.html[0])}`).expect(302);

    const stats = await t.admin('get', `/api/admin/digests/${id}`).expect(200);
    assert.deepEqual(stats.body.clicks, [
      { url: articleUrls[0], unique: 2 },
      { url: articleUrls[1], unique: 1 },
    ]);
    assert.equal(Number((await t.db('digest_clicks').count({ n: '*' }).first())?.n), 3, 'one row per delivery and link');

    // The console's digest page shows them.
    await createStaff(t, 'clicks.editor@example.com', 'editor');
    const editor = await signIn(t, 'clicks.editor@example.com');
    const page = await editor.get(`/admin/digests/${id}`).expect(200);
    assert.match(page.text, /<h2 id="clicks-title">Clicks<\/h2>/);
    // (The page's title is the digest's subject, a headline that may run past 70 characters.)
    assert.deepEqual((await htmlFindings(page.text)).filter((f) => !f.startsWith('long-title')), [], 'the send page with its clicks is valid HTML');
    assert.match(page.text, new RegExp(`${articleUrls[0].replace(/[.?/]/g, '\\$&')}</a></td><td class="number">2</td>`));

    // The web copy never carries tracking links.
    const web = await t.agent().get(`/digests/${id}`).expect(200);
    assert.equal(redirectsIn(web.text).length, 0);
    for (const url of articleUrls) assert.ok(web.text.includes(`href="${url}"`), 'the web copy links the article itself');
  });

  it('a digest of several topics: each reader’s links lead to their own sections’ articles; counts add up by link', async () => {
    await addArticles(t, 'investing', 1);
    await addArticles(t, 'insurance', 1);
    await addConfirmedSubscribers(t, [
      { email: 'one.topic@example.com', topics: ['insurance'] },
      { email: 'two.topics@example.com', topics: ['investing', 'insurance'] },
    ]);
    const sent = await t.admin('post', '/api/admin/digests').send({ topics: ['investing', 'insurance'] }).expect(202);
    await waitForDigest(t, sent.body.id, ['sent']);
    const [one] = await t.smtp.waitFor(addressedTo('one.topic@example.com'));
    const [two] = await t.smtp.waitFor(addressedTo('two.topics@example.com'));
    const all: string[] = JSON.parse((await t.db('digests').where({ id: sent.body.id }).first('links')).links);
    assert.equal(all.length, 2);
    const insuranceUrl = all.find((u) => u.includes('/insurance/'))!;

    const [oneLink] = redirectsIn(String(one.html));
    assert.equal(redirectsIn(String(one.html)).length, 1, 'only the insurance section');
    assert.equal((await t.agent().get(`/r/${tokenOf(oneLink)}`).expect(302)).headers.location, insuranceUrl);
    const twoLinks = redirectsIn(String(two.html));
    assert.equal(twoLinks.length, 2);
    const locations = [];
    for (const link of twoLinks) locations.push((await t.agent().get(`/r/${tokenOf(link)}`).expect(302)).headers.location);
    assert.deepEqual([...locations].sort(), [...all].sort());

    const stats = await t.admin('get', `/api/admin/digests/${sent.body.id}`).expect(200);
    assert.deepEqual(
      Object.fromEntries(stats.body.clicks.map((c: { url: string; unique: number }) => [c.url, c.unique])),
      Object.fromEntries(all.map((u) => [u, u === insuranceUrl ? 2 : 1])),
    );
  });

  it('a forged, altered or unknown token gets a 400 page, never a redirect', async () => {
    const { mails } = await sendDigestTo(t, 'banking', ['cleo.reader@example.com']);
    const [link] = redirectsIn(String(mails[0].html));
    const token = tokenOf(link);
    const [digest, delivery, position, tag] = token.split('.');
    assert.equal(position, '0');
    const attempts = [
      `${digest}.${delivery}.1.${tag}`, // the same tag moved to another link
      `${digest}.${(parseInt(delivery, 36) + 1).toString(36)}.${position}.${tag}`, // another delivery
      `${digest}.${delivery}.${position}.${tag.slice(0, -2)}xx`, // an altered tag
      `${digest}.${delivery}.${position}.${'A'.repeat(22)}`,
      'not-a-token',
      'https:%2F%2Fevil.example',
      // Signed with the real secret, but for a link the digest does not have.
      tokenOf(clickUrls(t.config, digest, parseInt(delivery, 36), 10)[9]),
    ];
    const before = Number((await t.db('digest_clicks').count({ n: '*' }).first())?.n);
    for (const attempt of attempts) {
      const r = await t.agent().get(`/r/${encodeURIComponent(attempt)}`);
      assert.equal(r.status, 400, attempt);
      assert.equal(r.headers.location, undefined);
      assert.match(r.text, /This link does not work/);
    }
    assert.equal(Number((await t.db('digest_clicks').count({ n: '*' }).first())?.n), before, 'nothing counted');
  });
});

describeEachEngine('click counts off (the default)', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
  });
  after(async () => {
    await t.close();
  });

  it('links go straight to the article and the stats have no clicks', async () => {
    const { id, mails } = await sendDigestTo(t, 'finance', ['dan.reader@example.com']);
    assert.equal(redirectsIn(String(mails[0].html)).length, 0);
    assert.match(String(mails[0].html), /href="https:\/\/news\.example\/finance\/\d+"/);
    const stats = await t.admin('get', `/api/admin/digests/${id}`).expect(200);
    assert.equal('clicks' in stats.body, false);
    assert.equal((await t.db('digests').where({ id }).first('links')).links, null);
  });
});
