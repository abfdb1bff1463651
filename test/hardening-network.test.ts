import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { LookupAddress } from 'node:dns';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { feedAddressPolicy, type FeedAddressPolicy, type LookupFunction } from '../src/articles/feed-address';
import { pollFeedById, registerFeed } from '../src/articles/service';
import { ConfigError, loadConfig } from '../src/config';
import { applyServerTimeouts, SERVER_TIMEOUTS } from '../src/http/server-timeouts';
import { createLogger } from '../src/logger';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { fixture, startFeedServer, type FeedServer } from './helpers/feed-server';

/** A logger whose lines the test can read. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) }) };
}

/** A DNS server in a function: each name answers its queue of addresses, the last one repeating. */
function scriptedLookup(answers: Record<string, string[]>): LookupFunction {
  const calls = new Map<string, number>();
  return (hostname, _options, callback) => {
    const queue = answers[hostname];
    if (!queue) return callback(Object.assign(new Error(`no such host ${hostname}`), { code: 'ENOTFOUND' }), []);
    const n = calls.get(hostname) ?? 0;
    calls.set(hostname, n + 1);
    const address = queue[Math.min(n, queue.length - 1)];
    callback(null, [{ address, family: address.includes(':') ? 6 : 4 } satisfies LookupAddress]);
  };
}

/** Enough environment for loadConfig to write no generated secrets. */
const base = { DATA_DIR: '/tmp/masthead-config-test', ADMIN_TOKEN: 'x'.repeat(20), SECRET: 'y'.repeat(20) };

describe('FEED_ALLOW_PRIVATE', () => {
  it('is off by default, on with 1 or true, and a bad value names the variable', () => {
    assert.equal(loadConfig(base).feedAllowPrivate, false);
    assert.equal(loadConfig({ ...base, FEED_ALLOW_PRIVATE: '1' }).feedAllowPrivate, true);
    assert.equal(loadConfig({ ...base, FEED_ALLOW_PRIVATE: 'true' }).feedAllowPrivate, true);
    assert.equal(loadConfig({ ...base, FEED_ALLOW_PRIVATE: '0' }).feedAllowPrivate, false);
    assert.throws(() => loadConfig({ ...base, FEED_ALLOW_PRIVATE: 'perhaps' }), (err: Error) => err instanceof ConfigError && /FEED_ALLOW_PRIVATE/.test(err.message));
  });
});

describeEachEngine('feeds never reach private addresses', (engine) => {
  let t: TestApp;
  let feeds: FeedServer;
  before(async () => {
    t = await startTestApp(engine); // FEED_ALLOW_PRIVATE is off, as in production
    feeds = await startFeedServer();
  });
  after(async () => {
    await feeds.close();
    await t.close();
  });

  const feedCount = async () => (await t.admin('get', '/api/admin/feeds').expect(200)).body.total as number;

  it('refuses loopback, private, link-local, metadata and other special addresses at registration, in every spelling', async () => {
    const before = await feedCount();
    const refused = [
      'http://127.0.0.1/feed.xml',
      'http://2130706433/feed.xml', // 127.0.0.1 as one decimal number
      'http://0x7f000001/feed.xml',
      'http://127.1/feed.xml',
      'http://0177.0.0.1/feed.xml', // octal
      'http://localhost/feed.xml',
      'http://LOCALHOST./feed.xml',
      'http://feeds.localhost:8080/feed.xml',
      'http://[::1]/feed.xml',
      'http://[::ffff:127.0.0.1]/feed.xml',
      'http://[::ffff:a9fe:a9fe]/latest', // 169.254.169.254, mapped
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.5/feed.xml',
      'http://172.16.3.4/feed.xml',
      'http://192.168.1.1/feed.xml',
      'http://100.64.0.1/feed.xml', // carrier-grade NAT
      'http://0.0.0.0/feed.xml',
      'http://224.0.0.1/feed.xml',
      'http://255.255.255.255/feed.xml',
      'http://198.18.0.1/feed.xml', // benchmarking, reserved
      'http://[fe80::1]/feed.xml',
      'http://[fc00::1]/feed.xml',
      'http://[ff02::1]/feed.xml',
      'http://[::]/feed.xml',
      'https://[64:ff9b::7f00:1]/feed.xml', // NAT64 of 127.0.0.1
    ];
    for (const url of refused) {
      const r = await t.admin('post', '/api/admin/feeds').send({ url, topic: 'finance' });
      assert.equal(r.status, 422, url);
      assert.equal(r.body.error.code, 'validation_failed', url);
      assert.match(r.body.error.fields.url, /public internet address/, url);
    }
    assert.equal(await feedCount(), before, 'nothing was stored');

    // A public address passes (an address literal, so no DNS is needed here).
    const ok = await t.admin('post', '/api/admin/feeds').send({ url: 'https://93.184.215.14/feed.xml', topic: 'finance' });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
  });

  it('checks again when polling: a feed on loopback is not fetched, and the answer names no cause', async () => {
    feeds.serveXml('/inside.rss', fixture('markets.rss.xml'));
    // Registered while FEED_ALLOW_PRIVATE was on; it is off now.
    const { id } = await registerFeed(t.db, { url: feeds.url('/inside.rss'), topic: 'finance' }, feedAddressPolicy({ allowPrivate: true }));
    const poll = await t.admin('post', `/api/admin/feeds/${id}/poll`).expect(200);
    assert.deepEqual({ new: poll.body.new, error: poll.body.error }, { new: 0, error: 'could not fetch the feed' });
    const listed = (await t.admin('get', '/api/admin/feeds?pageSize=500').expect(200)).body.items.find((f: { id: number }) => f.id === id);
    assert.equal(listed.lastError, 'could not fetch the feed');
    assert.equal(feeds.requests.filter((r) => r.route === '/inside.rss').length, 0, 'no request reached the loopback server');
  });

  it('pins the checked address: a name that rebinds to loopback after registration is never connected to', async () => {
    feeds.serveXml('/rebind.rss', fixture('markets.rss.xml'));
    const port = new URL(feeds.url('/')).port;
    const addresses: FeedAddressPolicy = feedAddressPolicy({ allowPrivate: false, lookup: scriptedLookup({ 'feeds.rebind.test': ['93.184.215.14', '127.0.0.1'] }) });
    const { id } = await registerFeed(t.db, { url: `http://feeds.rebind.test:${port}/rebind.rss`, topic: 'finance' }, addresses);
    const { lines, logger } = capturingLogger();
    const result = await pollFeedById(t.db, id, { intervalMs: 60_000, addresses, logger });
    assert.equal(result?.error, 'could not fetch the feed');
    assert.equal(feeds.requests.filter((r) => r.route === '/rebind.rss').length, 0, 'the socket never went to the rebound address');
    assert.match(String(lines.find((l) => l.feed === id)?.cause), /refused address 127\.0\.0\.1/, 'the cause is in the log');
  });

  describe('redirects', () => {
    // Here 127.0.0.1 stands in for the public internet; every other address is "private".
    const only127: FeedAddressPolicy = { ...feedAddressPolicy({ allowPrivate: false }), allows: (address) => address === '127.0.0.1' };
    let trap: Server;
    let trapConnections = 0;
    before(async () => {
      trap = createServer((socket) => {
        trapConnections++;
        socket.destroy();
      });
      await new Promise<void>((resolve) => trap.listen(0, '127.0.0.2', resolve));
    });
    after(() => new Promise<void>((resolve) => trap.close(() => resolve())));

    const redirect = (route: string, location: string) => feeds.serve(route, (_req, res) => res.writeHead(302, { location }).end());

    async function pollRoute(route: string) {
      const { id } = await registerFeed(t.db, { url: feeds.url(route), topic: 'finance' }, only127);
      const { lines, logger } = capturingLogger();
      const result = await pollFeedById(t.db, id, { intervalMs: 60_000, addresses: only127, logger });
      return { result: result!, cause: String(lines.find((l) => l.feed === id)?.cause ?? '') };
    }

    it('checks every hop and refuses one that leads to a refused address, before connecting', async () => {
      const trapPort = (trap.address() as { port: number }).port;
      redirect('/to-decimal', `http://2130706434:${trapPort}/feed.xml`); // 127.0.0.2
      redirect('/to-metadata', 'http://169.254.169.254/latest/meta-data/');
      redirect('/to-ipv6-loopback', `http://[::1]:${trapPort}/feed.xml`);
      redirect('/to-file', 'file:///etc/passwd');
      for (const [route, cause] of [
        ['/to-decimal', /refused address 127\.0\.0\.2/],
        ['/to-metadata', /refused address 169\.254\.169\.254/],
        ['/to-ipv6-loopback', /refused address ::1/],
        ['/to-file', /not an http or https address/],
      ] as const) {
        const { result, cause: logged } = await pollRoute(route);
        assert.equal(result.error, 'could not fetch the feed', route);
        assert.match(logged, cause, route);
      }
      assert.equal(trapConnections, 0, 'nothing connected to the refused address');
    });

    it('follows up to five redirects to an allowed address, and no more', async () => {
      feeds.serveXml('/final.rss', fixture('markets.rss.xml').replaceAll('markets.example.com', 'redirected.example.com'));
      for (let i = 1; i <= 5; i++) redirect(`/hop${i}`, i === 5 ? '/final.rss' : `/hop${i + 1}`);
      const five = await pollRoute('/hop1');
      assert.deepEqual({ new: five.result.new, error: five.result.error }, { new: 3, error: null });

      // Decompression is ours now that the reader does its own HTTP: a gzipped feed still reads.
      const gzipped = gzipSync(fixture('markets.rss.xml').replaceAll('markets.example.com', 'gzipped.example.com'));
      feeds.serve('/gzipped.rss', (_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': 'gzip' }).end(gzipped));
      redirect('/to-gzipped', '/gzipped.rss');
      const zipped = await pollRoute('/to-gzipped');
      assert.deepEqual({ new: zipped.result.new, error: zipped.result.error }, { new: 3, error: null });

      redirect('/loop', '/loop');
      const loop = await pollRoute('/loop');
      assert.equal(loop.result.error, 'could not fetch the feed');
      assert.match(loop.cause, /more than 5 redirects/);
      assert.equal(feeds.requests.filter((r) => r.route === '/loop').length, 6, 'the first request and five redirects');
    });
  });

  it('accepts only http and https image addresses for an article', async () => {
    const article = { title: 'Rates hold', url: 'https://news.example.com/rates-hold', summary: 'Rates held.', topic: 'finance', publishedAt: new Date().toISOString() };
    for (const imageUrl of ['javascript:alert(1)', 'data:image/png;base64,iVBORw0KGgo=', 'ftp://images.example.com/a.png', '//images.example.com/a.png', 'file:///etc/passwd']) {
      const r = await t.admin('post', '/api/admin/articles').send({ ...article, imageUrl });
      assert.equal(r.status, 422, imageUrl);
      assert.ok(r.body.error.fields.imageUrl, imageUrl);
    }
    const ok = await t.admin('post', '/api/admin/articles').send({ ...article, imageUrl: 'https://images.example.com/a.png' });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
  });
});

/** Sends `head` on a raw connection and then nothing more; resolves with what the server said when it closed the socket. */
function sendAndStall(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    socket.on('data', (chunk) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

describeEachEngine('slow clients', (engine) => {
  let t: TestApp;
  let port: number;
  let server: ReturnType<typeof createHttpServer>;
  before(async () => {
    t = await startTestApp(engine);
    // The real app on a real socket, with the production function and short limits so the test is quick.
    server = applyServerTimeouts(createHttpServer(t.app), { headersMs: 300, requestMs: 600 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  it('closes a POST whose body never arrives', async () => {
    const head = 'POST /api/subscriptions HTTP/1.1\r\nHost: masthead.test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email"';
    const answer = await sendAndStall(port, head);
    assert.match(answer, /^HTTP\/1\.1 408 /, 'the server answered 408 and closed the socket');
  });

  it('closes a connection whose headers never finish', async () => {
    const answer = await sendAndStall(port, 'GET /healthz HTTP/1.1\r\nHost: masthead.test\r\nX-Slow: ');
    assert.match(answer, /^HTTP\/1\.1 408 /);
  });
});

describe('the server started from src/server.ts', () => {
  const root = path.join(import.meta.dirname, '..');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'masthead-timeouts-'));
  let child: ChildProcess | undefined;
  after(() => {
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('listens with the slow-client timeouts applied', async () => {
    const probe = path.join(root, 'test', 'fixtures', 'server-timeouts-probe.mjs');
    child = spawn(process.execPath, ['--import', 'tsx', '--import', probe, 'src/server.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    const waitFor = async (pattern: RegExp) => {
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
        const match = pattern.exec(output);
        if (match) return match;
      }
      throw new Error(`timed out waiting for ${pattern}: ${output}`);
    };
    const [, listenPort] = await waitFor(/listening on .* \(127\.0\.0\.1:(\d+)\)/);
    assert.equal((await fetch(`http://127.0.0.1:${listenPort}/healthz`)).status, 200);
    const [, reported] = await waitFor(/server timeouts (\{.*\})/);
    assert.deepEqual(JSON.parse(reported), {
      headersTimeout: SERVER_TIMEOUTS.headersMs,
      requestTimeout: SERVER_TIMEOUTS.requestMs,
      keepAliveTimeout: SERVER_TIMEOUTS.keepAliveMs,
    });
    assert.deepEqual(SERVER_TIMEOUTS, { headersMs: 20_000, requestMs: 30_000, keepAliveMs: 5_000 });

    const exit = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exit, 0);
    child = undefined;
  });
});

describe('TRUST_PROXY', () => {
  it('is off by default and takes true/false, a hop count, or addresses, CIDR ranges and range names', () => {
    assert.equal(loadConfig(base).trustProxy, false);
    assert.equal(loadConfig({ ...base, TRUST_PROXY: 'false' }).trustProxy, false);
    assert.equal(loadConfig({ ...base, TRUST_PROXY: 'true' }).trustProxy, true);
    assert.equal(loadConfig({ ...base, TRUST_PROXY: '2' }).trustProxy, 2);
    assert.deepEqual(loadConfig({ ...base, TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8, 192.0.2.7' }).trustProxy, ['loopback', '10.0.0.0/8', 'fd00::/8', '192.0.2.7']);
    for (const bad of ['maybe', '10.0.0.0/33', '10.1', '-1', '1.5', ',', 'loopback;10.0.0.1']) {
      assert.throws(
        () => loadConfig({ ...base, TRUST_PROXY: bad }),
        (err: Error) => err instanceof ConfigError && /^Configuration error: TRUST_PROXY /.test(err.message),
        bad,
      );
    }
  });
});

describeEachEngine('the public rate limit behind a proxy', (engine) => {
  const post = (t: TestApp, forwardedFor: string) =>
    request(t.app).post('/api/subscriptions').set('X-Forwarded-For', forwardedFor).send({}).then((r) => r.status);

  it('with TRUST_PROXY=1 keys on the forwarded client: each gets its own budget', async () => {
    const t = await startTestApp(engine, { PUBLIC_RATE_LIMIT: '2', TRUST_PROXY: '1' });
    try {
      assert.notEqual(await post(t, '203.0.113.10'), 429);
      assert.notEqual(await post(t, '203.0.113.10'), 429);
      assert.equal(await post(t, '203.0.113.10'), 429, 'the first client has used its budget');
      assert.notEqual(await post(t, '203.0.113.20'), 429, 'a second client behind the same proxy has its own');
      // Only the hop the proxy added counts: a client cannot pick its address by sending the header itself.
      assert.equal(await post(t, '198.51.100.1, 203.0.113.10'), 429);
    } finally {
      await t.close();
    }
  });

  it('without TRUST_PROXY ignores X-Forwarded-For, so spoofing it does not reset the limit', async () => {
    const t = await startTestApp(engine, { PUBLIC_RATE_LIMIT: '2' });
    try {
      assert.notEqual(await post(t, '203.0.113.10'), 429);
      assert.notEqual(await post(t, '203.0.113.11'), 429);
      assert.equal(await post(t, '203.0.113.12'), 429, 'every request came from the one connecting address');
    } finally {
      await t.close();
    }
  });
});

describeEachEngine('admin paths in any case', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
    await t.admin('post', '/api/admin/subscribers/import?status=confirmed&consentNote=test').send({ subscribers: [{ email: 'casing@example.com', topics: ['finance'] }] }).expect(200);
  });
  after(() => t.close());

  const casings: ['get' | 'post' | 'patch' | 'delete', string][] = [
    ['get', '/API/ADMIN/subscribers'],
    ['get', '/Api/Admin/digests/1'],
    ['get', '/api/ADMIN/articles'],
    ['get', '/aPi/aDmIn/subscribers?format=csv'],
    ['post', '/API/ADMIN/feeds'],
    ['delete', '/Api/Admin/Subscribers/casing@example.com'],
    ['get', '/API/ADMIN/no-such-route'],
    ['get', '/API/ADMIN'],
  ];

  it('answers JSON 401 without a valid token, whatever the case, and serves no admin data', async () => {
    for (const [method, path] of casings) {
      for (const authorization of [undefined, 'Bearer wrong-token-0123456789']) {
        const call = request(t.app)[method](path);
        const r = await (authorization ? call.set('Authorization', authorization) : call);
        const label = `${method.toUpperCase()} ${path} ${authorization ? 'with a wrong token' : 'without a token'}`;
        assert.equal(r.status, 401, label);
        assert.match(r.headers['content-type'] ?? '', /^application\/json/, label);
        assert.equal(r.body.error?.code, 'unauthorized', label);
        assert.doesNotMatch(r.text, /casing@example\.com/, label);
      }
    }
    const still = await t.admin('get', '/api/admin/subscribers?q=casing').expect(200);
    assert.equal(still.body.total, 1, 'the DELETE without a token erased nobody');
  });

  it('serves the same routes in another case to a valid token, so no route is reachable around the guard', async () => {
    const r = await t.admin('get', '/API/ADMIN/subscribers?q=casing');
    assert.equal(r.status, 200);
    assert.equal(r.body.total, 1);
  });
});
