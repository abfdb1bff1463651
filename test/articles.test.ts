import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import request from 'supertest';
import { loadDemoArticles } from '../src/demo/articles';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

describeEachEngine('articles', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
  });
  after(async () => {
    await t.close();
  });

  const article = (overrides: Record<string, unknown> = {}) => ({
    title: 'Regional lender raises savings rates again',
    url: 'https://news.example.com/banking/savings-rates',
    summary: 'A regional lender lifted its easy-access rate for the third time this quarter.',
    topic: 'banking',
    publishedAt: hoursAgo(3),
    ...overrides,
  });

  it('creates an article, then updates it in place when its URL comes again', async () => {
    const created = await t.admin('post', '/api/admin/articles').send(article({ tags: ['savings', 'rates', 'savings'], author: 'Ada Byrne' })).expect(201);
    assert.equal(created.body.title, 'Regional lender raises savings rates again');
    assert.equal(created.body.topic, 'banking');
    assert.deepEqual(created.body.tags, ['savings', 'rates']);
    assert.equal(created.body.readingMinutes, 1, 'computed from the text when not given');
    assert.equal(created.body.imageUrl, null);

    const updated = await t
      .admin('post', '/api/admin/articles')
      .send(article({ url: 'https://news.example.com/banking/savings-rates?utm_source=newsletter#top', title: 'Regional lender raises savings rates for a third time', readingMinutes: 4, imageUrl: 'https://img.example.com/rates.jpg' }))
      .expect(200);
    assert.equal(updated.body.id, created.body.id, 'the same canonical URL is the same article');
    assert.equal(updated.body.title, 'Regional lender raises savings rates for a third time');
    assert.equal(updated.body.readingMinutes, 4);
    assert.equal(updated.body.imageUrl, 'https://img.example.com/rates.jpg');
    assert.ok(updated.body.updatedAt > created.body.updatedAt, 'the change moves its updated time');

    const list = await t.admin('get', '/api/admin/articles?topic=banking').expect(200);
    assert.equal(list.body.total, 1);
    assert.equal(list.body.items[0].url, 'https://news.example.com/banking/savings-rates');
  });

  it('computes the reading time from a long text', async () => {
    const words = Array.from({ length: 700 }, () => 'yield').join(' ');
    const r = await t.admin('post', '/api/admin/articles').send(article({ url: 'https://news.example.com/long-read', summary: words, topic: 'investing' })).expect(201);
    assert.equal(r.body.readingMinutes, 3, 'about 230 words a minute');
  });

  it('lists newest first, filtered by topic, a page at a time', async () => {
    for (let i = 0; i < 5; i++) {
      await t.admin('post', '/api/admin/articles').send(article({ url: `https://news.example.com/insurance/${i}`, title: `Insurance story ${i}`, topic: 'insurance', publishedAt: hoursAgo(10 - i) })).expect(201);
    }
    const page1 = await t.admin('get', '/api/admin/articles?topic=insurance&pageSize=2').expect(200);
    assert.deepEqual(page1.body.items.map((a: { title: string }) => a.title), ['Insurance story 4', 'Insurance story 3']);
    assert.deepEqual({ total: page1.body.total, page: page1.body.page, pageSize: page1.body.pageSize }, { total: 5, page: 1, pageSize: 2 });
    const page3 = await t.admin('get', '/api/admin/articles?topic=insurance&pageSize=2&page=3').expect(200);
    assert.deepEqual(page3.body.items.map((a: { title: string }) => a.title), ['Insurance story 0']);
    const all = await t.admin('get', '/api/admin/articles').expect(200);
    assert.ok(all.body.total >= 7);
    assert.ok(all.body.items.every((a: { topic: string }) => typeof a.topic === 'string'));
  });

  it('refuses bad input with the contract’s error shape and stores nothing', async () => {
    const before = (await t.admin('get', '/api/admin/articles').expect(200)).body.total;
    const cases: [Record<string, unknown>, string][] = [
      [article({ title: '' }), 'title'],
      [article({ title: 'x'.repeat(301) }), 'title'],
      [article({ url: 'javascript:alert(1)' }), 'url'],
      [article({ url: 'https://news.example.com/new', summary: 42 }), 'summary'],
      [article({ url: 'https://news.example.com/new', topic: 'astrology' }), 'topic'],
      [article({ url: 'https://news.example.com/new', publishedAt: 'last Tuesday' }), 'publishedAt'],
      [article({ url: 'https://news.example.com/new', imageUrl: 'data:image/png;base64,AAAA' }), 'imageUrl'],
      [article({ url: 'https://news.example.com/new', tags: 'one,two' }), 'tags'],
      [article({ url: 'https://news.example.com/new', readingMinutes: 2.5 }), 'readingMinutes'],
      [{ url: 'https://news.example.com/new' }, 'title'],
    ];
    for (const [body, field] of cases) {
      const r = await t.admin('post', '/api/admin/articles').send(body);
      assert.equal(r.status, 422, `${field}: ${JSON.stringify(body).slice(0, 80)}`);
      assert.equal(r.body.error.code, 'validation_failed');
      assert.equal(typeof r.body.error.message, 'string');
      assert.ok(r.body.error.fields[field], `${field} is named`);
    }
    const wrongType = await t.admin('post', '/api/admin/articles').set('Content-Type', 'text/plain').send('title=x');
    assert.equal(wrongType.status, 415);
    const badJson = await t.admin('post', '/api/admin/articles').set('Content-Type', 'application/json').send('{"title":');
    assert.equal(badJson.status, 400);
    assert.equal(badJson.body.error.code, 'invalid_json');
    for (const query of ['topic=astrology', 'topic=Not%20A%20Slug', 'page=0', 'pageSize=501']) {
      const r = await t.admin('get', `/api/admin/articles?${query}`);
      assert.equal(r.status, 422, query);
      assert.equal(r.body.error.code, 'validation_failed');
    }
    assert.equal((await t.admin('get', '/api/admin/articles').expect(200)).body.total, before);
    assert.equal((await request(t.app).post('/api/admin/articles').send(article())).status, 401);
    assert.equal((await request(t.app).get('/api/admin/articles')).status, 401);
  });

  it('loads the demo articles into an empty database only', async () => {
    const empty = await startTestApp(engine);
    try {
      assert.equal(await loadDemoArticles(empty.db), 12);
      const r = await empty.admin('get', '/api/admin/articles').expect(200);
      assert.equal(r.body.total, 12);
      const topics = new Set(r.body.items.map((a: { topic: string }) => a.topic));
      assert.deepEqual([...topics].sort(), ['banking', 'finance', 'fintech', 'insurance', 'investing']);
      const weekAgo = Date.now() - 7 * 86_400_000;
      assert.ok(r.body.items.every((a: { publishedAt: string }) => Date.parse(a.publishedAt) > weekAgo && Date.parse(a.publishedAt) <= Date.now()));
      assert.equal(await loadDemoArticles(empty.db), 0, 'a second start adds nothing');
      assert.equal((await empty.admin('get', '/api/admin/articles').expect(200)).body.total, 12);
    } finally {
      await empty.close();
    }
  });
});
