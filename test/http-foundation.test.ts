import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import request from 'supertest';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';

describeEachEngine('HTTP foundation', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
  });
  after(async () => {
    await t.close();
  });

  it('answers /healthz and /readyz', async () => {
    assert.deepEqual((await request(t.app).get('/healthz').expect(200)).body, { status: 'ok' });
    assert.equal((await request(t.app).get('/readyz').expect(200)).body.database, 'ok');
  });

  it('serves pages with security headers, the layout and a long-cached stylesheet', async () => {
    const home = await request(t.app).get('/').expect(200);
    assert.match(home.headers['content-security-policy'], /default-src 'self'/);
    assert.equal(home.headers['x-content-type-options'], 'nosniff');
    assert.equal(home.headers['x-powered-by'], undefined);
    assert.match(home.text, /<a class="skip-link" href="#main">/);
    assert.match(home.text, /action="\/newsletter\/subscribe"/);
    await t.admin('post', '/api/admin/articles').send({ title: 'Home page <b>story</b>', url: 'https://news.example/home-story', summary: 'Shown on the home page.', topic: 'banking', publishedAt: new Date().toISOString() }).expect(201);
    const withArticle = await request(t.app).get('/').expect(200);
    assert.match(withArticle.text, /<a href="https:\/\/news.example\/home-story">Home page &lt;b&gt;story&lt;\/b&gt;<\/a>/, 'the latest articles are listed, escaped');
    const href = /<link rel="stylesheet" href="([^"]+)"/.exec(home.text)![1];
    const css = await request(t.app).get(href).expect(200);
    assert.match(css.headers['cache-control'], /max-age=31536000/);
    assert.match(css.headers['content-type'], /text\/css/);
  });

  it('answers unknown addresses with a page, or the JSON error shape under /api', async () => {
    const page = await request(t.app).get('/no/such/page').expect(404);
    assert.match(page.headers['content-type'], /text\/html/);
    assert.match(page.text, /Page not found/);
    const api = await request(t.app).get('/api/nothing').expect(404);
    assert.deepEqual(api.body, { error: { code: 'not_found', message: 'There is nothing at this address.' } });
  });

  it('answers an unexpected failure with a plain 500 that shows no SQL, stack or path', async () => {
    const failing = await startTestApp(engine);
    try {
      // Renamed rather than dropped: articles, feeds and digests hold foreign keys to it.
      await failing.db.schema.renameTable('topics', 'topics_gone');
      const page = await request(failing.app).get('/newsletter');
      assert.equal(page.status, 500);
      assert.match(page.text, /Something went wrong/);
      const api = await request(failing.app).post('/api/subscriptions').send({ email: 'x@example.com', consent: true });
      assert.equal(api.status, 500);
      assert.deepEqual(Object.keys(api.body.error).sort(), ['code', 'message']);
      for (const text of [page.text, JSON.stringify(api.body)]) {
        assert.doesNotMatch(text, /select|from "?topics|no such table|relation|at .*\.ts|\/work\//i);
      }
      assert.equal((await request(failing.app).get('/readyz')).status, 200, 'the database itself still answers');
    } finally {
      await failing.close();
    }
  });
});
