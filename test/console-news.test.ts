import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { csrfFrom, startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { fixture, startFeedServer, type FeedServer } from './helpers/feed-server';
import { addArticles, addConfirmedSubscribers, waitForDigest } from './helpers/sending';
import { sentTo } from './helpers/smtp';
import { createStaff, signIn, submitForm, type Agent } from './helpers/staff';

/** The text of the page's flash message, after following a redirect. */
async function flashAfter(agent: Agent, response: { status: number; headers: Record<string, string> }) {
  assert.equal(response.status, 303, 'the action redirects');
  const page = await agent.get(response.headers.location).expect(200);
  return /class="flash[^"]*" role="status">([^<]*)</.exec(page.text)?.[1].trim() ?? '';
}

const count = async (t: TestApp, table: string) => Number((await t.db(table).count({ n: '*' }))[0].n);

/**
 * Issue 10's newsroom side: the lists the console needs in the admin API (subscriber search,
 * digests with counts), then the console's Subscribers, Articles, Feeds and Digests screens
 * driven as a signed-in editor would drive them.
 */
describeEachEngine('console news: admin API lists', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
  });
  after(async () => {
    await t.close();
  });

  it('GET /api/admin/subscribers?q= finds by part of an address or a name, in any case, wildcards taken literally', async () => {
    await addConfirmedSubscribers(t, [
      { email: 'odile.ferrand@example.com', name: 'Odile Ferrand', topics: ['finance'] },
      { email: 'o.f@treasury.example', name: 'Bartholomew Quist', topics: ['banking'] },
      { email: 'per_cent@example.com', name: '100% Sure', topics: ['finance'] },
      { email: 'percent@example.com', name: 'Percy Cent', topics: ['finance'] },
    ]);
    const search = async (query: string) => {
      const r = await t.admin('get', `/api/admin/subscribers?${query}`).expect(200);
      return r.body.items.map((s: { email: string }) => s.email).sort();
    };
    assert.deepEqual(await search('q=FERRAND'), ['odile.ferrand@example.com'], 'by name, whatever the case');
    assert.deepEqual(await search('q=treasury'), ['o.f@treasury.example'], 'by address');
    assert.deepEqual(await search('q=quist'), ['o.f@treasury.example']);
    assert.deepEqual(await search('q=per_cent'), ['per_cent@example.com'], '_ matches only an underscore');
    assert.deepEqual(await search('q=%25'), ['per_cent@example.com'], '% matches only a percent sign');
    assert.deepEqual(await search('q=o&topic=banking'), ['o.f@treasury.example'], 'combined with a topic');
    assert.deepEqual(await search('q=ferrand&status=pending'), [], 'combined with a status');
    const r = await t.admin('get', '/api/admin/subscribers?q=example&pageSize=2').expect(200);
    assert.equal(r.body.total, 4);
    assert.equal(r.body.items.length, 2);
  });

  it('GET /api/admin/digests lists sends newest first with their counts', async () => {
    await addArticles(t, 'investing', 2);
    await addConfirmedSubscribers(t, [
      { email: 'reader.one@example.com', topics: ['investing'] },
      { email: 'reader.two@example.com', topics: ['investing'] },
    ]);
    const first = await t.admin('post', '/api/admin/digests').send({ topic: 'investing', limit: 1 }).expect(202);
    await waitForDigest(t, first.body.id, ['sent']);
    const second = await t.admin('post', '/api/admin/digests').send({ topic: 'investing', testRecipients: ['desk@example.com'] }).expect(202);
    await waitForDigest(t, second.body.id, ['sent']);

    const r = await t.admin('get', '/api/admin/digests?topic=investing').expect(200);
    assert.equal(r.body.total, 2);
    assert.equal(r.body.page, 1);
    assert.deepEqual(r.body.items.map((d: { id: string }) => d.id), [second.body.id, first.body.id]);
    const [test, real] = r.body.items;
    assert.equal(test.test, true);
    assert.deepEqual(test.counts, { queued: 0, sending: 0, sent: 1, failed: 0 });
    assert.equal(real.status, 'sent');
    assert.equal(real.recipients, 2);
    assert.deepEqual(real.counts, { queued: 0, sending: 0, sent: 2, failed: 0 });
    assert.ok(real.startedAt && real.finishedAt);
    const none = await t.admin('get', '/api/admin/digests?topic=banking').expect(200);
    assert.deepEqual(none.body.items, []);
  });
});

describeEachEngine('console news: the Subscribers screen', (engine) => {
  let t: TestApp;
  let editor: Agent;
  before(async () => {
    t = await startTestApp(engine);
    await createStaff(t, 'esme.editor@example.com', 'editor');
    editor = await signIn(t, 'esme.editor@example.com');
    await addConfirmedSubscribers(t, [
      { email: 'odile.ferrand@example.com', name: 'Odile Ferrand', topics: ['finance'] },
      { email: 'quist@treasury.example', name: 'Bartholomew Quist', topics: ['banking'] },
    ]);
  });
  after(async () => {
    await t.close();
  });

  it('searches by name and by address, with filters, for editors only', async () => {
    const byName = await editor.get('/admin/subscribers?q=ferrand').expect(200);
    assert.match(byName.text, /odile\.ferrand@example\.com/);
    assert.doesNotMatch(byName.text, /quist@treasury/);
    assert.match(byName.text, /<caption>1 subscriber<\/caption>/);
    const byAddress = await editor.get('/admin/subscribers?q=TREASURY&topic=banking&status=confirmed').expect(200);
    assert.match(byAddress.text, /quist@treasury\.example/);
    assert.doesNotMatch(byAddress.text, /odile/);
    assert.match(byAddress.text, /<option value="banking" selected>/, 'the filters keep their values');
    const none = await editor.get('/admin/subscribers?q=nobody-at-all').expect(200);
    assert.match(none.text, /No subscriber matches/);
    assert.match((await editor.get('/admin').expect(200)).text, /href="\/admin\/subscribers"/, 'the screen is in the navigation');

    await createStaff(t, 'jude.judge@example.com', 'judge');
    const judge = await signIn(t, 'jude.judge@example.com');
    await judge.get('/admin/subscribers').expect(403);
    await judge.get('/admin/subscribers/import').expect(403);
  });

  it('previews an uploaded CSV without storing or emailing anything, then imports it on confirmation', async () => {
    const csv = [
      'email,name,topics',
      'new.reader@example.com,New Reader,finance',
      'not-an-address,Bad Row,finance',
      'ODILE.FERRAND@example.com,,banking',
      'second.new@example.com,,fintech;banking',
      'third@example.com,,astrology',
    ].join('\n');
    await t.flushMail(); // the staff accounts' welcome emails, before counting
    const [subscribers, jobs, mails] = [await count(t, 'subscribers'), await count(t, 'mail_jobs'), t.smtp.messages.length];
    const page = await editor.get('/admin/subscribers/import').expect(200);
    const preview = await editor
      .post('/admin/subscribers/import')
      .field('_csrf', csrfFrom(page.text))
      .field('status', 'pending')
      .attach('file', Buffer.from(csv), { filename: 'readers.csv', contentType: 'text/csv' })
      .expect(200);
    assert.match(preview.text, /<strong>2<\/strong> would be added/);
    assert.match(preview.text, /<strong>1<\/strong> already known, would be updated/);
    assert.match(preview.text, /<strong>2<\/strong> would be skipped/);
    assert.match(preview.text, /<td class="number">3<\/td><td>invalid email: /);
    assert.match(preview.text, /<td class="number">6<\/td><td>unknown topic: astrology/);
    assert.match(preview.text, /Import 3 subscribers/);
    assert.match(preview.text, /File: readers\.csv/);

    await t.flushMail();
    assert.equal(await count(t, 'subscribers'), subscribers, 'the preview stored nobody');
    assert.equal(await count(t, 'mail_jobs'), jobs, 'and queued no mail');
    assert.equal(t.smtp.messages.length, mails, 'and sent none');
    const odile = await t.admin('get', '/api/admin/subscribers?q=odile').expect(200);
    assert.deepEqual(odile.body.items[0].topics, ['finance'], 'nor added a topic');

    // Someone else cannot run this preview.
    await createStaff(t, 'other.editor@example.com', 'editor');
    const other = await signIn(t, 'other.editor@example.com');
    const draft = /name="draft" value="([a-f0-9]{32})"/.exec(preview.text)![1];
    const stolen = await submitForm(other, '/admin/subscribers/import', '/admin/subscribers/import/confirm', { draft });
    assert.equal(stolen.status, 410);

    const confirm = await editor.post('/admin/subscribers/import/confirm').type('form').send({ _csrf: csrfFrom(preview.text), draft });
    assert.equal(await flashAfter(editor, confirm), 'Imported: 2 added, 1 updated, 2 skipped. Each new address gets a confirmation email.');
    await t.smtp.waitFor(sentTo('new.reader@example.com'));
    await t.smtp.waitFor(sentTo('second.new@example.com'));
    const added = await t.db('subscribers').where({ email: 'new.reader@example.com' }).first();
    assert.equal(added.status, 'pending');
    assert.equal(added.consent_source, 'import');

    const again = await editor.post('/admin/subscribers/import/confirm').type('form').send({ _csrf: csrfFrom(preview.text), draft });
    assert.equal(again.status, 410, 'a confirmed preview cannot be imported twice');
    const audit = await t.db('audit_log').where({ action: 'subscribers.import' });
    assert.equal(audit.length, 1);
    assert.equal(audit[0].actor_label, 'esme.editor@example.com');
  });

  it('takes pasted rows, and asks for a consent note before importing as confirmed', async () => {
    const page = await editor.get('/admin/subscribers/import').expect(200);
    const noNote = await editor.post('/admin/subscribers/import').field('_csrf', csrfFrom(page.text)).field('status', 'confirmed').field('csv', 'email\npasted@example.com').expect(422);
    assert.match(noNote.text, /Importing as confirmed needs consentNote/);
    assert.match(noNote.text, /pasted@example\.com<\/textarea>/, 'the pasted rows are kept');
    const empty = await editor.post('/admin/subscribers/import').field('_csrf', csrfFrom(page.text)).field('status', 'pending').expect(422);
    assert.match(empty.text, /Choose a CSV file, or paste the rows below/);
    const badCsv = await editor.post('/admin/subscribers/import').field('_csrf', csrfFrom(page.text)).field('csv', 'name,topics\nx,finance').expect(422);
    assert.match(badCsv.text, /needs a header row with an &quot;email&quot; column/);
    const ok = await editor
      .post('/admin/subscribers/import')
      .field('_csrf', csrfFrom(page.text))
      .field('status', 'confirmed')
      .field('consentNote', 'Signed up at the 2025 conference stand')
      .field('csv', 'email\npasted@example.com')
      .expect(200);
    assert.match(ok.text, /Import 1 subscriber</);
    const confirm = await editor.post('/admin/subscribers/import/confirm').type('form').send({ _csrf: csrfFrom(ok.text), draft: /name="draft" value="([a-f0-9]+)"/.exec(ok.text)![1] });
    assert.match(await flashAfter(editor, confirm), /^Imported: 1 added, 0 updated, 0 skipped\.$/);
    assert.equal((await t.db('subscribers').where({ email: 'pasted@example.com' }).first()).status, 'confirmed');
  });

  it('erases a subscriber only after the address is typed to confirm', async () => {
    const row = await t.db('subscribers').where({ email: 'quist@treasury.example' }).first();
    const list = await editor.get('/admin/subscribers?q=quist').expect(200);
    assert.match(list.text, new RegExp(`href="/admin/subscribers/${row.id}/erase"`));
    const page = await editor.get(`/admin/subscribers/${row.id}/erase`).expect(200);
    assert.match(page.text, /Type the address to confirm/);

    const unconfirmed = await editor.post(`/admin/subscribers/${row.id}/erase`).type('form').send({ _csrf: csrfFrom(page.text) });
    assert.equal(unconfirmed.status, 422);
    const wrong = await editor.post(`/admin/subscribers/${row.id}/erase`).type('form').send({ _csrf: csrfFrom(page.text), confirmEmail: 'odile.ferrand@example.com' });
    assert.equal(wrong.status, 422);
    assert.ok(await t.db('subscribers').where({ id: row.id }).first(), 'still there');

    const erased = await editor.post(`/admin/subscribers/${row.id}/erase`).type('form').send({ _csrf: csrfFrom(page.text), confirmEmail: ' Quist@Treasury.example ' });
    assert.match(await flashAfter(editor, erased), /The subscriber is erased/);
    assert.equal(await t.db('subscribers').where({ id: row.id }).first(), undefined);
    assert.equal(await count(t, 'suppressions'), 1);
    await editor.get(`/admin/subscribers/${row.id}/erase`).expect(404);
    const audit = await t.db('audit_log').where({ action: 'subscribers.erase' }).first();
    assert.equal(audit.entity_id, String(row.id));
  });
});

describeEachEngine('console news: the Articles and Feeds screens', (engine) => {
  let t: TestApp;
  let editor: Agent;
  let feeds: FeedServer;
  before(async () => {
    // FEED_ALLOW_PRIVATE: the feed server is on loopback, which the feed reader refuses once issue 9's address checks are in.
    t = await startTestApp(engine, { FEED_ALLOW_PRIVATE: '1' });
    feeds = await startFeedServer();
    await createStaff(t, 'arlo.editor@example.com', 'editor');
    editor = await signIn(t, 'arlo.editor@example.com');
  });
  after(async () => {
    await feeds.close();
    await t.close();
  });

  const article = (overrides: Record<string, string> = {}) => ({
    title: 'Regional banks trim savings rates',
    url: 'https://news.example.com/banking/savings-rates',
    summary: 'Three regional lenders cut easy-access rates this week.',
    topic: 'banking',
    publishedAt: '2026-12-01T08:30',
    author: '',
    imageUrl: '',
    tags: 'savings, rates',
    readingMinutes: '',
    ...overrides,
  });

  it('adds an article with the API’s validation, and edits it, address included', async () => {
    const bad = await submitForm(editor, '/admin/articles/new', '/admin/articles', article({ title: '', url: 'ftp://x', readingMinutes: 'soon', publishedAt: '' }));
    assert.equal(bad.status, 422);
    assert.match(bad.text, /title must not be empty/);
    assert.match(bad.text, /url must be an http or https URL/);
    assert.match(bad.text, /readingMinutes is a whole number/);
    assert.match(bad.text, /Enter the date and time it was published/);
    assert.match(bad.text, /value="soon"/, 'values are kept');

    const added = await submitForm(editor, '/admin/articles/new', '/admin/articles', article());
    assert.equal(await flashAfter(editor, added), 'Article added: Regional banks trim savings rates');
    const listed = await t.admin('get', '/api/admin/articles?topic=banking').expect(200);
    assert.equal(listed.body.total, 1);
    const [saved] = listed.body.items;
    assert.equal(saved.publishedAt, '2026-12-01T08:30:00.000Z', 'the form’s time is UTC');
    assert.deepEqual(saved.tags, ['savings', 'rates']);
    assert.equal(saved.author, null);
    assert.ok(saved.readingMinutes >= 1);

    const list = await editor.get('/admin/articles?topic=banking').expect(200);
    assert.match(list.text, new RegExp(`<a href="/admin/articles/${saved.id}">Regional banks trim savings rates</a>`));
    assert.match((await editor.get('/admin/articles?topic=fintech').expect(200)).text, /No articles yet in this topic/);

    const edit = await editor.get(`/admin/articles/${saved.id}`).expect(200);
    assert.match(edit.text, /value="2026-12-01T08:30"/);
    assert.match(edit.text, /value="savings, rates"/);
    const changed = await submitForm(editor, `/admin/articles/${saved.id}`, `/admin/articles/${saved.id}`, article({
      title: 'Regional banks trim savings rates again',
      url: 'https://news.example.com/banking/savings-rates-2',
      readingMinutes: '4',
      author: 'Mina Patel',
    }));
    assert.equal(await flashAfter(editor, changed), 'Article saved: Regional banks trim savings rates again');
    const edited = await t.admin('get', `/api/admin/articles/${saved.id}`).expect(200);
    assert.equal(edited.body.title, 'Regional banks trim savings rates again');
    assert.equal(edited.body.url, 'https://news.example.com/banking/savings-rates-2');
    assert.equal(edited.body.readingMinutes, 4);
    assert.equal(edited.body.author, 'Mina Patel');
    assert.equal((await t.admin('get', '/api/admin/articles').expect(200)).body.total, 1, 'edited in place, not added');

    // Another article's address is refused on edit.
    await t.admin('post', '/api/admin/articles').send({ title: 'Other', url: 'https://news.example.com/other', summary: 'Other story.', topic: 'banking', publishedAt: '2026-12-01T09:00:00Z' }).expect(201);
    const taken = await submitForm(editor, `/admin/articles/${saved.id}`, `/admin/articles/${saved.id}`, article({ url: 'https://news.example.com/other' }));
    assert.equal(taken.status, 422);
    assert.match(taken.text, /Another article already has this address/);
    await editor.get('/admin/articles/99999').expect(404);
    const audit = await t.db('audit_log').where({ action: 'articles.update', entity_id: String(saved.id) });
    assert.equal(audit.length, 1);
  });

  it('registers a feed, polls it now with the counts in a flash, and shows its last error', async () => {
    feeds.serveXml('/markets.xml', fixture('markets.rss.xml'));
    const bad = await submitForm(editor, '/admin/feeds', '/admin/feeds', { url: 'not a url', topic: 'finance' });
    assert.equal(bad.status, 422);
    assert.match(bad.text, /url must be an http or https URL/);

    const registered = await submitForm(editor, '/admin/feeds', '/admin/feeds', { url: feeds.url('/markets.xml'), topic: 'investing' });
    assert.match(await flashAfter(editor, registered), /^Feed registered: /);
    const feed = await t.db('feeds').first();
    const page = await editor.get('/admin/feeds').expect(200);
    assert.match(page.text, /not yet/);

    const polled = await submitForm(editor, '/admin/feeds', `/admin/feeds/${feed.id}/poll`, {});
    assert.equal(await flashAfter(editor, polled), 'Polled: 3 new articles, 0 updated.');
    const polledPage = await editor.get('/admin/feeds').expect(200);
    assert.match(polledPage.text, /Harbour Street Markets/);
    assert.match(polledPage.text, /<td class="number">3<\/td>/, 'the feed’s article count');

    feeds.serve('/markets.xml', (_req, res) => res.writeHead(503).end());
    const failed = await submitForm(editor, '/admin/feeds', `/admin/feeds/${feed.id}/poll`, {});
    assert.match(await flashAfter(editor, failed), /^The poll failed: /);
    const lastError = (await t.db('feeds').where({ id: feed.id }).first()).last_error;
    assert.ok(lastError);
    assert.ok((await editor.get('/admin/feeds').expect(200)).text.includes(`<td>${lastError}</td>`), 'the last error is on the list');
    const audit = await t.db('audit_log').where({ action: 'feeds.poll', entity_id: String(feed.id) });
    assert.equal(audit.length, 2);
  });
});

describeEachEngine('console news: the Digests screen', (engine) => {
  let t: TestApp;
  let editor: Agent;
  before(async () => {
    t = await startTestApp(engine);
    await createStaff(t, 'dana.desk@example.com', 'editor');
    editor = await signIn(t, 'dana.desk@example.com');
    await addArticles(t, 'fintech', 3);
    await addConfirmedSubscribers(t, [
      { email: 'fin.one@example.com', topics: ['fintech'] },
      { email: 'fin.two@example.com', topics: ['fintech', 'finance'] },
      { email: 'fin.three@example.com', topics: ['fintech'] },
      { email: 'not.fintech@example.com', topics: ['finance'] },
    ]);
    await t.flushMail();
  });
  after(async () => {
    await t.close();
  });

  const query = 'topic=fintech&limit=2&subject=Fintech+this+week';

  it('composes with a preview in the page, and sends a test only to the signed-in editor', async () => {
    const empty = await editor.get('/admin/digests').expect(200);
    assert.match(empty.text, /No digest has been sent yet/);
    const compose = await editor.get(`/admin/digests/new?${query}`).expect(200);
    assert.match(compose.text, /2 articles; 3 confirmed subscribers receive this topic/);
    assert.match(compose.text, /<iframe class="digest-preview" src="\/admin\/digests\/preview\?topic=fintech&amp;limit=2&amp;subject=Fintech\+this\+week"[^>]* sandbox>/);
    assert.match(compose.text, /Send a test to me \(dana\.desk@example\.com\)/);

    const preview = await editor.get(`/admin/digests/preview?${query}`).expect(200);
    assert.match(preview.headers['content-type'], /text\/html/);
    assert.match(preview.headers['content-security-policy'], /default-src 'none'; style-src 'unsafe-inline'/, 'the preview runs nothing');
    const carried = await t.admin('get', '/api/admin/articles?topic=fintech&pageSize=2').expect(200);
    assert.ok(preview.text.includes(carried.body.items[0].title), 'the preview shows the newest article');
    await t.agent().get(`/admin/digests/preview?${query}`).expect(303);

    const bad = await editor.get('/admin/digests/new?topic=fintech&limit=99').expect(422);
    assert.match(bad.text, /limit is a whole number from 1 to 50/);

    // Only digest mail counts: the editor's welcome email may still be on its way on a busy machine.
    const digestMail = () => t.smtp.messages.filter((m) => m.subject === 'Fintech this week');
    const before = digestMail().length;
    const test = await submitForm(editor, `/admin/digests/new?${query}`, '/admin/digests/test', { topic: 'fintech', limit: '2', subject: 'Fintech this week' });
    assert.equal(await flashAfter(editor, test), 'A test of this digest is on its way to dana.desk@example.com (only to you).');
    assert.equal(test.headers.location, `/admin/digests/new?${query}`, 'back to the compose page, values kept');
    const [mail] = await t.smtp.waitFor((m) => sentTo('dana.desk@example.com')(m) && m.subject === 'Fintech this week');
    assert.ok(mail.html, 'the test is the digest itself');
    const digest = await t.db('digests').where({ is_test: true }).first();
    await waitForDigest(t, digest.id, ['sent']);
    assert.equal(digestMail().length, before + 1, 'the test went to one address only');
    assert.deepEqual((await t.db('deliveries').where({ digest_id: digest.id })).map((d: { email: string }) => d.email), ['dana.desk@example.com']);
    const audit = await t.db('audit_log').where({ action: 'digests.test' }).first();
    assert.equal(audit.entity_id, digest.id);
  });

  it('sends behind a confirmation that names the recipients, once however often it is submitted', async () => {
    const confirm = await editor.get(`/admin/digests/confirm?${query}`).expect(200);
    assert.match(confirm.text, /<h1>Send to 3 recipients\?<\/h1>/);
    assert.match(confirm.text, /<button type="submit">Send to 3 recipients<\/button>/);
    assert.equal(await count(t, 'deliveries'), 1, 'the confirmation page sends nothing');
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(confirm.text)![1];
    const fields = { _csrf: csrfFrom(confirm.text), topic: 'fintech', limit: '2', subject: 'Fintech this week', idempotencyKey: key };

    const [first, second] = [
      await editor.post('/admin/digests').type('form').send(fields),
      await editor.post('/admin/digests').type('form').send(fields),
    ];
    assert.equal(first.status, 303);
    assert.equal(second.headers.location, first.headers.location, 'a double submit answers with the same digest');
    const id = /^\/admin\/digests\/([A-Za-z0-9_-]{16})$/.exec(first.headers.location)![1];
    assert.equal((await t.db('digests').where({ is_test: false })).length, 1, 'and sends once');
    await waitForDigest(t, id, ['sent']);
    const page = await editor.get(`/admin/digests/${id}`).expect(200);
    assert.match(page.text, /<h1>Fintech this week<\/h1>/);
    assert.match(page.text, /<strong data-field="status" aria-live="polite">sent<\/strong>/);
    assert.match(page.text, /<progress id="send-progress" max="3" value="3">100%<\/progress>/);
    assert.match(page.text, /<strong data-field="sent">3<\/strong> sent/);
    assert.match(page.text, /<noscript>/);
    assert.equal(t.smtp.to('not.fintech@example.com').length, 0);
    assert.equal((await t.db('audit_log').where({ action: 'digests.send', entity_id: id })).length, 2);

    const list = await editor.get('/admin/digests').expect(200);
    assert.match(list.text, new RegExp(`<a href="/admin/digests/${id}">Fintech this week</a></td>\\s*<td>Fintech</td>\\s*<td>sent</td>\\s*<td class="number">3</td>\\s*<td class="number">3</td>`));

    const json = await editor.get(`/admin/digests/${id}/progress`).set('Accept', 'application/json').expect(200);
    assert.deepEqual(json.body.counts, { queued: 0, sending: 0, sent: 3, failed: 0, bounced: 0, complaints: 0, unsubscribed: 0 });
    await t.agent().get(`/admin/digests/${id}/progress`).set('Accept', 'application/json').expect(401);

    // Nothing new left: the confirmation says so, and a send goes back to compose with the reason.
    await waitForDigest(t, (await t.admin('post', '/api/admin/digests').send({ topic: 'fintech' }).expect(202)).body.id, ['sent']);
    const spent = await editor.get(`/admin/digests/confirm?topic=fintech&limit=2`).expect(200);
    assert.match(spent.text, /Nothing to send/);
    const refused = await editor.post('/admin/digests').type('form').send({ ...fields, limit: '5', idempotencyKey: 'another-key' });
    assert.equal(refused.headers.location, '/admin/digests/new?topic=fintech&limit=5&subject=Fintech+this+week');
    assert.match(await flashAfter(editor, refused), /^No Fintech article from the last 7 days is left/);
  });

  it('pauses, resumes and cancels a send from its page (cancel only when confirmed); judges may not', async () => {
    await addArticles(t, 'fintech', 1);
    // The sender is stopped, so the controls meet the send mid-way however fast the machine is.
    await t.workers.delivery.stop();
    after(() => t.workers.delivery.start());
    const started = await t.admin('post', '/api/admin/digests').send({ topic: 'fintech' }).expect(202);
    const id = started.body.id;
    const page = await editor.get(`/admin/digests/${id}`).expect(200);
    assert.match(page.text, new RegExp(`action="/admin/digests/${id}/pause" data-when="sending">`), 'pause shows while sending');
    assert.match(page.text, new RegExp(`action="/admin/digests/${id}/resume" data-when="paused" hidden>`), 'resume does not');

    const paused = await submitForm(editor, `/admin/digests/${id}`, `/admin/digests/${id}/pause`, {});
    assert.match(await flashAfter(editor, paused), /The send is paused/);
    assert.equal((await t.db('digests').where({ id }).first()).status, 'paused');
    const again = await submitForm(editor, `/admin/digests/${id}`, `/admin/digests/${id}/pause`, {});
    assert.match(await flashAfter(editor, again), /A digest that is paused cannot be paused/);

    const resumed = await submitForm(editor, `/admin/digests/${id}`, `/admin/digests/${id}/resume`, {});
    assert.match(await flashAfter(editor, resumed), /The send resumes/);
    assert.equal((await t.db('digests').where({ id }).first()).status, 'sending');

    const unconfirmed = await submitForm(editor, `/admin/digests/${id}`, `/admin/digests/${id}/cancel`, {});
    assert.equal(unconfirmed.status, 422);
    assert.match(unconfirmed.text, /Tick the box to confirm/);
    assert.equal((await t.db('digests').where({ id }).first()).status, 'sending');
    const cancelled = await submitForm(editor, `/admin/digests/${id}`, `/admin/digests/${id}/cancel`, { confirm: 'yes' });
    assert.match(await flashAfter(editor, cancelled), /The send is cancelled/);
    assert.equal((await t.db('digests').where({ id }).first()).status, 'cancelled');
    const actions = (await t.db('audit_log').where({ entity: 'digests', entity_id: id }).orderBy('id')).map((a: { action: string }) => a.action);
    assert.deepEqual(actions.filter((a: string) => a !== 'digests.create'), ['digests.pause', 'digests.resume', 'digests.cancel']);

    await createStaff(t, 'jo.judge@example.com', 'judge');
    const judge = await signIn(t, 'jo.judge@example.com');
    await judge.get('/admin/digests').expect(403);
    await judge.get(`/admin/digests/${id}/progress`).expect(403);
    const page2 = await editor.get(`/admin/digests/${id}`);
    await judge.post(`/admin/digests/${id}/resume`).type('form').send({ _csrf: csrfFrom(page2.text) }).expect(403);
  });
});
