import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { feedAddressPolicy } from '../src/articles/feed-address';
import { createFeedPoller } from '../src/articles/feed-poller';
import { pollDueFeeds } from '../src/articles/service';
import { createLogger } from '../src/logger';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { endlessly, fixture, slowly, startFeedServer, type FeedServer } from './helpers/feed-server';

interface Article {
  id: number;
  title: string;
  url: string;
  summary: string;
  topic: string;
  author: string | null;
  imageUrl: string | null;
  tags: string[];
  readingMinutes: number;
  publishedAt: string;
}

interface Feed {
  id: number;
  url: string;
  topic: string;
  title: string | null;
  lastError: string | null;
  lastPolledAt: string | null;
}

describeEachEngine('feeds', (engine) => {
  let t: TestApp;
  let feeds: FeedServer;
  before(async () => {
    // The feeds are served on loopback, which only FEED_ALLOW_PRIVATE lets the reader fetch.
    t = await startTestApp(engine, { FEED_ALLOW_PRIVATE: '1' });
    feeds = await startFeedServer();
  });
  after(async () => {
    await feeds.close();
    await t.close();
  });

  async function register(route: string, topic: string): Promise<Feed> {
    const r = await t.admin('post', '/api/admin/feeds').send({ url: feeds.url(route), topic });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  }

  async function articlesFromFeed(feedId: number): Promise<Article[]> {
    const r = await t.admin('get', '/api/admin/articles?pageSize=500').expect(200);
    return r.body.items.filter((a: Article & { feedId: number }) => a.feedId === feedId);
  }

  const addresses = feedAddressPolicy({ allowPrivate: true });
  const silent = createLogger('silent');

  async function listFeeds(): Promise<Feed[]> {
    return (await t.admin('get', '/api/admin/feeds').expect(200)).body.items;
  }

  it('polls an RSS feed: new items become clean plain-text articles, categories pick topics', async () => {
    feeds.serveXml('/markets.rss', fixture('markets.rss.xml'), { etag: '"v1"', lastModified: 'Sat, 28 Nov 2026 09:00:00 GMT' });
    const feed = await register('/markets.rss', 'finance');

    const poll = await t.admin('post', `/api/admin/feeds/${feed.id}/poll`).expect(200);
    assert.deepEqual({ new: poll.body.new, updated: poll.body.updated, error: poll.body.error }, { new: 3, updated: 0, error: null });

    const articles = await articlesFromFeed(feed.id);
    assert.deepEqual(
      articles.map((a) => a.title),
      ['Sterling steadies after a volatile week', 'Insurers & pension funds buy more long-dated gilts', 'Commodity traders brace for a quieter December'],
      'newest first',
    );
    const [sterling, gilts, commodities] = articles;
    assert.equal(sterling.url, 'https://markets.example.com/2026/11/sterling-steadies', 'tracking parameters are dropped from the canonical URL');
    assert.equal(sterling.summary, 'The pound ended the week flat against the dollar after swinging by two cents. Traders now watch Thursday’s data.');
    assert.doesNotMatch(sterling.summary, /<|alert|https:/, 'no tags, scripts or link targets survive');
    assert.equal(sterling.topic, 'investing', 'a category naming a topic wins over the feed’s topic');
    assert.equal(sterling.author, 'Ruth Calder');
    assert.equal(sterling.imageUrl, 'https://markets.example.com/img/sterling.jpg');
    assert.deepEqual(sterling.tags, ['Investing', 'Currencies']);
    assert.equal(sterling.publishedAt, '2026-11-28T08:15:00.000Z');
    assert.equal(gilts.topic, 'insurance');
    assert.equal(gilts.author, 'Tomasz Nowak', 'the name, never the address, from an RSS author');
    assert.equal(commodities.topic, 'finance', 'no matching category: the feed’s topic');

    const [listed] = (await listFeeds()).filter((f) => f.id === feed.id);
    assert.equal(listed.title, 'Harbour Street Markets');
    assert.equal(listed.lastError, null);
    assert.ok(listed.lastPolledAt);
  });

  it('polls incrementally: 304 for an unchanged feed, changed items updated, nothing duplicated', async () => {
    const original = fixture('markets.rss.xml').replaceAll('markets.example.com', 'inc.example.com');
    feeds.serveXml('/inc.rss', original, { etag: '"a"', lastModified: 'Sat, 28 Nov 2026 09:00:00 GMT' });
    const feed = await register('/inc.rss', 'finance');
    const first = await t.admin('post', `/api/admin/feeds/${feed.id}/poll`).expect(200);
    assert.equal(first.body.new, 3);

    const again = await t.admin('post', `/api/admin/feeds/${feed.id}/poll`).expect(200);
    assert.deepEqual({ new: again.body.new, updated: again.body.updated, notModified: again.body.notModified }, { new: 0, updated: 0, notModified: true });
    const sent = feeds.requests.filter((r) => r.route === '/inc.rss');
    assert.equal(sent.at(-1)?.ifNoneMatch, '"a"', 'the second poll is a conditional GET');
    assert.equal(sent.at(-1)?.ifModifiedSince, 'Sat, 28 Nov 2026 09:00:00 GMT');

    // The publisher fixes a headline, moves an article to a new address (same GUID) and adds one.
    const changed = original
      .replace('Sterling steadies after a volatile week', 'Sterling steadies after its most volatile week since March')
      .replace('https://inc.example.com/2026/11/long-gilts', 'https://inc.example.com/2026/11/long-dated-gilts')
      .replace(
        '<item>',
        `<item><title>Fresh item</title><link>https://inc.example.com/2026/11/fresh</link><guid isPermaLink="false">hsm-2000</guid><pubDate>Sun, 29 Nov 2026 07:00:00 GMT</pubDate><description>New.</description></item><item>`,
      );
    feeds.serveXml('/inc.rss', changed, { etag: '"b"' });
    const third = await t.admin('post', `/api/admin/feeds/${feed.id}/poll`).expect(200);
    assert.deepEqual({ new: third.body.new, updated: third.body.updated, notModified: third.body.notModified }, { new: 1, updated: 2, notModified: false });

    const articles = await articlesFromFeed(feed.id);
    assert.equal(articles.length, 4, 'the moved article is the same article, not a second one');
    assert.ok(articles.some((a) => a.title === 'Sterling steadies after its most volatile week since March'));
    assert.ok(articles.some((a) => a.url === 'https://inc.example.com/2026/11/long-dated-gilts'));
    assert.ok(!articles.some((a) => a.url === 'https://inc.example.com/2026/11/long-gilts'));
  });

  it('reads Atom: HTML and XHTML text made plain, the alternate link, the image enclosure', async () => {
    feeds.serveXml('/payments.atom', fixture('payments.atom.xml'), { contentType: 'application/atom+xml' });
    const feed = await register('/payments.atom', 'banking');
    const poll = await t.admin('post', `/api/admin/feeds/${feed.id}/poll`).expect(200);
    assert.equal(poll.body.new, 2);
    const [tenMillion, fees] = await articlesFromFeed(feed.id);
    assert.equal(tenMillion.title, 'Pay-by-bank passes ten million monthly payments');
    assert.equal(tenMillion.url, 'https://payments.example.org/news/pay-by-bank-ten-million');
    assert.equal(tenMillion.summary, 'Account-to-account payments grew 40% in a year.');
    assert.equal(tenMillion.imageUrl, 'https://payments.example.org/img/chart.png');
    assert.equal(tenMillion.topic, 'fintech');
    assert.equal(tenMillion.author, 'Lena Fischer');
    assert.equal(tenMillion.publishedAt, '2026-11-29T09:30:00.000Z');
    assert.equal(fees.topic, 'banking');
    assert.equal(fees.summary, 'The cut applies to merchants with annual card sales under a set threshold & takes effect in March.');
    assert.equal(fees.publishedAt, '2026-11-28T15:00:00.000Z', 'an entry without <published> is dated by <updated>');
  });

  it('never lets a broken, failing, slow or enormous feed stop the others; each shows its last error', async () => {
    feeds.serveXml('/good.rss', fixture('markets.rss.xml').replaceAll('markets.example.com', 'good.example.com'));
    feeds.serveXml('/good.atom', fixture('payments.atom.xml').replaceAll('payments.example.org', 'good.example.org'), { contentType: 'application/atom+xml' });
    feeds.serveXml('/malformed.xml', fixture('malformed.xml'));
    feeds.serve('/error.rss', (_req, res) => res.writeHead(500).end('Internal Server Error'));
    feeds.serve('/slow.rss', slowly(5_000));
    feeds.serve('/huge.rss', endlessly(20 * 1024 * 1024));
    feeds.serveXml('/not-a-feed.xml', '<html><body>Hello</body></html>', { contentType: 'text/html' });
    const registered = new Map<string, Feed>();
    for (const route of ['/slow.rss', '/malformed.xml', '/huge.rss', '/error.rss', '/good.rss', '/not-a-feed.xml', '/good.atom']) {
      registered.set(route, await register(route, 'finance'));
    }

    const causes: { feed: number; cause: string }[] = [];
    const logger = createLogger('warn', { write: (line: string) => void causes.push(JSON.parse(line)) });
    const results = await pollDueFeeds(t.db, { intervalMs: 60_000, limits: { timeoutMs: 500, maxBytes: 256 * 1024 }, addresses, logger });
    const byId = new Map(results.map((r) => [r.feedId, r]));
    assert.equal(byId.get(registered.get('/good.rss')!.id)?.new, 3);
    assert.equal(byId.get(registered.get('/good.atom')!.id)?.new, 2);
    assert.equal((await articlesFromFeed(registered.get('/good.rss')!.id)).length, 3);

    // Admins see one plain sentence (the cause would make the form a port scanner); the log has the cause.
    const errors = new Map((await listFeeds()).map((f) => [f.id, f.lastError]));
    const errorOf = (route: string) => errors.get(registered.get(route)!.id) ?? '';
    const causeOf = (route: string) => causes.find((c) => c.feed === registered.get(route)!.id)?.cause ?? '';
    for (const route of ['/malformed.xml', '/error.rss', '/slow.rss', '/huge.rss', '/not-a-feed.xml']) {
      assert.equal(errorOf(route), 'could not fetch the feed', route);
    }
    assert.match(causeOf('/malformed.xml'), /not valid XML/);
    assert.match(causeOf('/error.rss'), /HTTP 500/);
    assert.match(causeOf('/slow.rss'), /timed out after 0\.5 s/);
    assert.match(causeOf('/huge.rss'), /larger than 256 KB/);
    assert.match(causeOf('/not-a-feed.xml'), /neither an RSS nor an Atom feed/);
    assert.equal(errorOf('/good.rss'), '');
    for (const route of ['/malformed.xml', '/error.rss', '/slow.rss', '/huge.rss']) {
      assert.equal((await articlesFromFeed(registered.get(route)!.id)).length, 0, `${route} stored nothing`);
    }

    // The failed feeds are due again only after the interval; a fixed feed recovers on its next poll.
    const soon = await pollDueFeeds(t.db, { intervalMs: 60_000, addresses, logger: silent });
    assert.equal(soon.length, 0, 'nothing is due again straight away');
    feeds.serveXml('/error.rss', fixture('markets.rss.xml').replaceAll('markets.example.com', 'recovered.example.com'));
    const recovered = await t.admin('post', `/api/admin/feeds/${registered.get('/error.rss')!.id}/poll`).expect(200);
    assert.equal(recovered.body.new, 3);
    const fixed = (await listFeeds()).find((f) => f.id === registered.get('/error.rss')!.id);
    assert.equal(fixed?.lastError, null, 'a successful poll clears the last error');
  });

  it('polls due feeds in the background, and two pollers never poll one feed twice', async () => {
    feeds.serveXml('/bg.rss', fixture('markets.rss.xml').replaceAll('markets.example.com', 'bg.example.com'));
    const feed = await register('/bg.rss', 'finance');
    const logger = silent;
    const pollers = [1, 2].map(() => createFeedPoller({ db: t.db, logger, intervalMs: 60_000, addresses }));
    await Promise.all(pollers.map((p) => p.runOnce()));
    assert.equal(feeds.requests.filter((r) => r.route === '/bg.rss').length, 1, 'claimed by one poller only');
    assert.equal((await articlesFromFeed(feed.id)).length, 3);
    for (const p of pollers) await p.stop();

    // Started, a poller polls at once and then on its interval.
    feeds.serveXml('/bg2.rss', fixture('payments.atom.xml').replaceAll('payments.example.org', 'bg2.example.org'));
    const second = await register('/bg2.rss', 'fintech');
    const poller = createFeedPoller({ db: t.db, logger, intervalMs: 100, addresses });
    poller.start();
    const deadline = Date.now() + 10_000;
    while ((await articlesFromFeed(second.id)).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await poller.stop();
    assert.equal((await articlesFromFeed(second.id)).length, 2);
  });

  it('refuses bad feed input with the contract’s error shape and stores nothing', async () => {
    const before = (await listFeeds()).length;
    const cases: [unknown, string][] = [
      [{ url: 'ftp://example.com/feed', topic: 'finance' }, 'url'],
      [{ url: 'not a url', topic: 'finance' }, 'url'],
      [{ url: feeds.url('/x.rss'), topic: 'astrology' }, 'topic'],
      [{ url: feeds.url('/x.rss') }, 'topic'],
      [{ topic: 'finance' }, 'url'],
    ];
    for (const [body, field] of cases) {
      const r = await t.admin('post', '/api/admin/feeds').send(body as object);
      assert.equal(r.status, 422, JSON.stringify(body));
      assert.equal(r.body.error.code, 'validation_failed');
      assert.ok(r.body.error.fields[field], `${field} is named for ${JSON.stringify(body)}`);
    }
    assert.equal((await t.admin('post', '/api/admin/feeds').set('Content-Type', 'text/plain').send('x')).status, 415);
    assert.equal((await t.admin('post', '/api/admin/feeds/999999/poll')).status, 404);
    assert.equal((await t.admin('post', '/api/admin/feeds/abc/poll')).status, 422);
    assert.equal((await t.admin('get', '/api/admin/feeds?pageSize=501')).status, 422);
    assert.equal((await listFeeds()).length, before);

    // Registering a known address again changes only its topic.
    feeds.serveXml('/again.rss', fixture('markets.rss.xml'));
    const first = await register('/again.rss', 'finance');
    const again = await t.admin('post', '/api/admin/feeds').send({ url: feeds.url('/again.rss'), topic: 'banking' }).expect(200);
    assert.equal(again.body.id, first.id);
    assert.equal(again.body.topic, 'banking');
  });
});
