import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import request from 'supertest';
import { csrfFrom, startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { addArticles, addConfirmedSubscribers, waitForDigest } from './helpers/sending';
import { sentTo } from './helpers/smtp';

/** Issue 9: import limits (7), list filters and plain messages (16), copy (14), the web copy's footer (15), favicon and checkbox colour (17). */
describeEachEngine('hardening: input limits, list filters, page details', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
  });
  after(async () => {
    await t.close();
  });

  it('refuses a deeply nested import body before parsing it, while /healthz keeps answering', async () => {
    const server = t.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const levels = 2_000_000;
      const hostile = '{"subscribers":' + '['.repeat(levels) + ']'.repeat(levels) + '}';
      const posted = fetch(`${base}/api/admin/subscribers/import?status=confirmed&consentNote=x`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.config.adminToken}`, 'content-type': 'application/json' },
        body: hostile,
      });
      const health = await fetch(`${base}/healthz`);
      assert.equal(health.status, 200);
      const r = await posted;
      assert.equal(r.status, 400);
      const body = await r.json();
      assert.equal(body.error.code, 'invalid_body');
      assert.match(body.error.message, /nested deeper/);
      assert.equal(await t.db('subscribers').count({ n: '*' }).first().then((row) => Number(row?.n)), 0, 'nothing stored');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('caps the rows of one import request, counted before parsing', async () => {
    const csv = 'email,name,topics\n' + Array.from({ length: 100_001 }, (_, i) => `reader${i}@example.com,,finance`).join('\n');
    const r = await t.admin('post', '/api/admin/subscribers/import?status=confirmed&consentNote=x').set('Content-Type', 'text/csv').send(csv);
    assert.equal(r.status, 413);
    assert.equal(r.body.error.code, 'too_many_rows');
    assert.match(r.body.error.message, /100,000 rows/);
    const json = await t.admin('post', '/api/admin/subscribers/import?status=confirmed&consentNote=x').send({ subscribers: [{ email: 'ok@example.com', topics: ['finance'] }] });
    assert.equal(json.status, 200, 'an ordinary JSON import still works');
    assert.equal(json.body.added, 1);
  });

  it('answers 400 naming an unknown filter on every admin list', async () => {
    for (const [path, filter] of [
      ['/api/admin/subscribers?email=someone@example.com', 'email'],
      ['/api/admin/entries?organisation=Acme', 'organisation'],
      ['/api/admin/articles?topics=finance', 'topics'],
      ['/api/admin/audit?who=me', 'who'],
    ]) {
      const r = await t.admin('get', path);
      assert.equal(r.status, 400, path);
      assert.equal(r.body.error.code, 'unknown_filter');
      assert.match(r.body.error.message, new RegExp(`Unknown filter: ${filter}`));
      assert.ok(r.body.error.fields[filter], `${path} names the filter`);
    }
    await t.admin('get', '/api/admin/subscribers?status=confirmed&page=1').expect(200);
  });

  it('writes validation messages in plain words, never the library’s', async () => {
    const r = await t.admin('post', '/api/admin/awards').send({ name: 'Awards without a slug' });
    assert.equal(r.status, 422);
    for (const message of Object.values(r.body.error.fields) as string[]) {
      assert.doesNotMatch(message, /Invalid input|expected \w+, received/, message);
    }
    assert.equal(r.body.error.fields.slug, 'slug is required.');
    const page = await t.admin('get', '/api/admin/subscribers?pageSize=abc');
    assert.equal(page.status, 422);
    assert.doesNotMatch(page.body.error.fields.pageSize, /Invalid/);
  });

  it('names the publisher naturally in the consent box and the confirmation email', async () => {
    const agent = t.agent();
    const form = await agent.get('/newsletter').expect(200);
    assert.match(form.text, /receive the newsletter from The Finance Ledger by email/);
    assert.doesNotMatch(form.text, /the The/);
    await agent.post('/newsletter/subscribe').type('form').send({ _csrf: csrfFrom(form.text), email: 'new.reader@example.com', topics: 'finance', consent: 'on' }).expect(303);
    const [mail] = await t.smtp.waitFor(sentTo('new.reader@example.com'));
    assert.match(mail.text ?? '', /receive the newsletter from The Finance Ledger at this address/);
    assert.doesNotMatch(`${mail.text}${mail.html}`, /the The/);

    const other = await startTestApp(engine, { ORG_NAME: 'Harbour Capital Review' });
    try {
      const page = await request(other.app).get('/newsletter').expect(200);
      assert.match(page.text, /receive the newsletter from Harbour Capital Review by email/);
    } finally {
      await other.close();
    }
  });

  it('the digest’s web copy offers “Manage your subscription”, the emailed copy keeps the personal links', async () => {
    await addArticles(t, 'finance', 2, 'Web copy');
    await addConfirmedSubscribers(t, [{ email: 'web.copy@example.com', topics: ['finance'] }]);
    const created = await t.admin('post', '/api/admin/digests').send({ topic: 'finance' }).expect(202);
    await waitForDigest(t, created.body.id, ['sent']);
    const web = await request(t.app).get(`/digests/${created.body.id}`).expect(200);
    assert.match(web.text, />Manage your subscription</);
    assert.doesNotMatch(web.text, />Unsubscribe</);
    assert.doesNotMatch(web.text, />Preferences</);
    const [mail] = await t.smtp.waitFor(sentTo('web.copy@example.com'));
    assert.match(String(mail.html), /newsletter\/unsubscribe\?token=[^"]+"[^>]*>Unsubscribe</);
    assert.match(String(mail.html), /newsletter\/preferences\?token=[^"]+"[^>]*>Preferences</);
  });

  it('serves a favicon (no 404) and colours checkboxes with the site’s accent', async () => {
    const home = await request(t.app).get('/').expect(200);
    const icon = /<link rel="icon" href="([^"]+)" type="image\/svg\+xml">/.exec(home.text)?.[1];
    assert.ok(icon, 'every page links an icon');
    const svg = await request(t.app).get(icon!).expect(200);
    assert.match(svg.headers['content-type'], /^image\/svg\+xml/);
    const ico = await request(t.app).get('/favicon.ico');
    assert.notEqual(ico.status, 404);
    assert.equal(ico.headers.location, icon);
    const cssUrl = /<link rel="stylesheet" href="([^"]+)">/.exec(home.text)![1];
    const css = await request(t.app).get(cssUrl).expect(200);
    assert.match(css.text, /accent-color: var\(--accent\)/);
  });
});
