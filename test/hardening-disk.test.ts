import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, afterEach, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import request from 'supertest';
import { createApp } from '../src/app';
import { sweepUploads } from '../src/awards/upload-sweep';
import { createLogger } from '../src/logger';
import { ADMIN_TOKEN, csrfFrom, startTestApp, type TestApp } from './helpers/app';
import { createTestDatabase, type TestDatabase } from './helpers/database';
import { describeEachEngine, type Engine } from './helpers/engines';
import { createProgramme, entryFields, PDF } from './helpers/factories';
import { startServerProcess, waitFor, type ServerProcess } from './helpers/server-process';

/** The app on the test's database and DATA_DIR, logging into lines the test reads. */
function appWithLog(t: TestApp) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger('info', sink);
  const app = createApp({ config: t.config, db: t.db, logger, mailQueued: () => {}, deliveryQueued: () => {} });
  return { app, lines };
}

const countRows = async (t: TestApp, table: string) => Number((await t.db(table).count({ n: '*' }))[0].n);

async function openEntryForm(agent: ReturnType<typeof request.agent>, slug: string) {
  const page = await agent.get(`/awards/${slug}/enter`).expect(200);
  return { _csrf: csrfFrom(page.text), submissionId: /name="submissionId" value="([a-f0-9]+)"/.exec(page.text)![1] };
}

function postEntryForm(agent: ReturnType<typeof request.agent>, slug: string, fields: Record<string, string>) {
  const req = agent.post(`/awards/${slug}/entries`);
  for (const [name, value] of Object.entries(fields)) req.field(name, value);
  return req.attach('documents', PDF, 'report.pdf');
}

describeEachEngine('storage gone while the server runs (issue 9 item 9)', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
  });
  after(async () => {
    await t.close();
  });

  it('after DATA_DIR is removed: /readyz answers 503 naming what failed, and writes that cannot be kept answer 503 and store nothing', async () => {
    const { app } = appWithLog(t);
    const programme = await createProgramme(t);
    const agent = request.agent(app);
    const form = await openEntryForm(agent, programme.slug);
    assert.deepEqual((await request(app).get('/readyz').expect(200)).body, { status: 'ok', database: 'ok', uploads: 'ok' });
    const before = { subscribers: await countRows(t, 'subscribers'), entries: await countRows(t, 'entries'), mail: await countRows(t, 'mail_jobs') };

    rmSync(t.config.dataDir, { recursive: true, force: true });

    const ready = await request(app).get('/readyz').expect(503);
    const sqlite = engine.name === 'sqlite';
    assert.deepEqual(ready.body, { status: 'unavailable', database: sqlite ? 'file removed' : 'ok', uploads: 'missing' });

    const subscription = await request(app).post('/api/subscriptions').send({ email: 'gone@example.com', consent: true });
    const apiEntry = await request(app).post(`/api/awards/${programme.slug}/entries`).send({ ...entryFields({ organisation: 'Api Gone Bank' }), consent: true });
    const formEntry = await postEntryForm(agent, programme.slug, { ...form, ...entryFields({ organisation: 'Form Gone Bank' }) });

    // The documents had nowhere to go on either engine; on SQLite nothing could be kept at all.
    assert.equal(formEntry.status, 503);
    assert.match(formEntry.text, /Nothing was saved/);
    if (sqlite) {
      for (const answer of [subscription, apiEntry]) {
        assert.equal(answer.status, 503);
        assert.equal(answer.body.error.code, 'storage_unavailable');
        assert.deepEqual(Object.keys(answer.body.error).sort(), ['code', 'message']);
      }
      // t.db still reads the removed file: what it holds is what a success would have stored.
      assert.deepEqual(
        { subscribers: await countRows(t, 'subscribers'), entries: await countRows(t, 'entries'), mail: await countRows(t, 'mail_jobs') },
        before,
        'nothing stored',
      );
    } else {
      // PostgreSQL keeps rows elsewhere: those answers are true and stay successes.
      assert.equal(subscription.status, 202);
      assert.equal(apiEntry.status, 201);
      assert.equal(await t.db('entries').where({ organisation: 'Form Gone Bank' }).first(), undefined, 'the form entry stored nothing');
    }
  });
});

describeEachEngine('a missing uploads folder (issue 9 item 9)', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
  });
  after(async () => {
    await t.close();
  });

  it('answers an entry upload with a logged 503, not "the form could not be read" (400), and stores nothing', async () => {
    const { app, lines } = appWithLog(t);
    const programme = await createProgramme(t);
    const agent = request.agent(app);
    const form = await openEntryForm(agent, programme.slug);

    rmSync(path.join(t.config.dataDir, 'uploads'), { recursive: true, force: true });

    assert.deepEqual((await request(app).get('/readyz').expect(503)).body, { status: 'unavailable', database: 'ok', uploads: 'missing' });
    const answer = await postEntryForm(agent, programme.slug, { ...form, ...entryFields({ organisation: 'No Folder Bank' }) });
    assert.equal(answer.status, 503);
    assert.doesNotMatch(answer.text, /could not be read|\/tmp\/|ENOENT/);
    assert.equal(await t.db('entries').where({ organisation: 'No Folder Bank' }).first(), undefined);
    const logged = lines.find((l) => l.msg === 'storage unavailable');
    assert.ok(logged, 'the failure is logged');
    assert.equal((logged.err as { code?: string }).code, 'ENOENT');
    // Writes that need no document still work: the database is fine.
    assert.equal((await request(app).post('/api/subscriptions').send({ email: 'still@example.com', consent: true })).status, 202);
  });
});

/** The environment of a server process on the test's database and DATA_DIR. */
const serverEnv = (database: TestDatabase): Record<string, string> => ({
  DATA_DIR: database.dataDir,
  ...(database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}),
});

/** An entry form page's CSRF token, hidden fields and cookie, fetched as a browser would. */
async function entryFormOf(base: string, slug: string) {
  const page = await fetch(`${base}/awards/${slug}/enter`);
  const html = await page.text();
  const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return { cookie, fields: { _csrf: csrfFrom(html), submissionId: /name="submissionId" value="([a-f0-9]+)"/.exec(html)![1] } };
}

/**
 * Starts a 3 MB multipart upload to the entry form and sends only its first megabyte, so
 * the server is left in the middle of writing it to uploads/incoming.
 */
function startSlowUpload(base: string, slug: string, form: Awaited<ReturnType<typeof entryFormOf>>) {
  const boundary = `masthead${randomBytes(8).toString('hex')}`;
  const fields = { ...form.fields, ...entryFields({ organisation: 'Killed Upload Bank' }) };
  const head = Buffer.from(
    Object.entries(fields)
      .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
      .join('') + `--${boundary}\r\nContent-Disposition: form-data; name="documents"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
  );
  const document = Buffer.concat([PDF, Buffer.alloc(3 * 1024 * 1024, 0x20)]);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const url = new URL(`${base}/awards/${slug}/entries`);
  const req = http.request(url, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + document.length + tail.length, cookie: form.cookie },
  });
  req.on('error', () => {}); // the kill resets the connection
  req.write(head);
  req.write(document.subarray(0, 1024 * 1024));
  return req;
}

const filesIn = (dir: string) => readdirSync(dir).filter((name) => statSync(path.join(dir, name)).isFile());

function sweepSuite(engine: Engine) {
  let database: TestDatabase;
  let server: ServerProcess | undefined;
  before(async () => {
    database = await createTestDatabase(engine);
  });
  afterEach(async () => {
    server?.child.kill('SIGKILL');
    await server?.exited;
    server = undefined;
  });
  after(async () => {
    await database.destroy();
  });

  it('after a kill -9 mid-upload, the next start removes the partial upload and documents no row names, and keeps the rest', async () => {
    server = await startServerProcess(serverEnv(database));
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const slug = 'sweep-awards';
    const created = await fetch(`${server.base}/api/admin/awards`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({
        slug,
        code: 'SW26',
        name: 'Sweep Awards',
        description: 'Awards for the sweep test.',
        opensAt: new Date(Date.now() - 86_400_000).toISOString(),
        closesAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        timeZone: 'Europe/London',
        categories: [{ slug: 'best-bank', name: 'Best Bank', description: 'The best bank.' }],
      }),
    });
    assert.equal(created.status, 201);

    // One entry whose document is kept and named by its row.
    const form = await entryFormOf(server.base, slug);
    const body = new FormData();
    for (const [name, value] of Object.entries({ ...form.fields, ...entryFields({ organisation: 'Kept Bank' }) })) body.append(name, value);
    body.append('documents', new Blob([PDF], { type: 'application/pdf' }), 'kept.pdf');
    const entered = await fetch(`${server.base}/awards/${slug}/entries`, { method: 'POST', body, headers: { cookie: form.cookie }, redirect: 'manual' });
    assert.equal(entered.status, 303);
    const keptKey = (await database.db('entry_documents').first()).storage_key as string;

    const uploads = path.join(database.dataDir, 'uploads');
    const incoming = path.join(uploads, 'incoming');
    const upload = startSlowUpload(server.base, slug, await entryFormOf(server.base, slug));
    const partial = await waitFor('the upload to reach the disk', () => filesIn(incoming).find((f) => statSync(path.join(incoming, f)).size > 0));
    server.child.kill('SIGKILL');
    await server.exited;
    upload.destroy();
    assert.ok(statSync(path.join(incoming, partial)).size < 3 * 1024 * 1024, 'the kill left a partial upload');

    // A kill between keeping the files and committing the row leaves a whole document with
    // no row; that window is too short to hit with a signal, so the test puts one there.
    const orphan = randomBytes(24).toString('base64url');
    writeFileSync(path.join(uploads, orphan), PDF);
    // Everything so far is two hours old, the kept document too: its row keeps it, not its age.
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60_000);
    for (const file of [path.join(incoming, partial), path.join(uploads, orphan), path.join(uploads, keptKey)]) utimesSync(file, twoHoursAgo, twoHoursAgo);
    // Just written: an upload in flight in another process on the same folder.
    const freshIncoming = randomBytes(16).toString('hex');
    const freshKept = randomBytes(24).toString('base64url');
    writeFileSync(path.join(incoming, freshIncoming), PDF);
    writeFileSync(path.join(uploads, freshKept), PDF);
    writeFileSync(path.join(uploads, 'NOTES.txt'), 'an operator’s file');

    server = await startServerProcess(serverEnv(database));
    assert.deepEqual(new Set(filesIn(incoming)), new Set([freshIncoming]));
    assert.deepEqual(new Set(filesIn(uploads)), new Set([keptKey, freshKept, 'NOTES.txt']));
    const swept = server.logLines().find((line) => line.msg === 'uploads swept');
    assert.deepEqual([swept?.incoming, swept?.orphans], [1, 1]);
    const download = await fetch(`${server.base}/api/admin/documents/${keptKey}`, { headers: admin });
    assert.equal(download.status, 200);
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), PDF);

    server.child.kill('SIGTERM');
    assert.equal((await server.exited).code, 0, 'the daily timer does not hold up a shutdown');
    server = undefined;

    // The same sweep, later (an injected clock): young files stay until they are old enough.
    const later = (minutes: number) => sweepUploads({ db: database.db, dataDir: database.dataDir, now: Date.now() + minutes * 60_000 });
    assert.deepEqual(await later(5), { incoming: 0, orphans: 0 });
    assert.deepEqual(await later(30), { incoming: 0, orphans: 1 });
    assert.deepEqual(await later(120), { incoming: 1, orphans: 0 });
    assert.ok(existsSync(path.join(uploads, keptKey)) && existsSync(path.join(uploads, 'NOTES.txt')));
  });
}

describeEachEngine('uploads left by a killed server (issue 9 item 10)', sweepSuite);

describe('errors nothing catches (issue 9 item 11)', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'masthead-fatal-'));
  const injectFault = pathToFileURL(path.join(import.meta.dirname, 'fixtures', 'inject-fault.mjs')).href;
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  for (const [fault, message] of [['exception', 'uncaught exception'], ['rejection', 'unhandled rejection']]) {
    it(`end the server with one fatal JSON log line and exit code 1 (an uncaught ${fault})`, async () => {
      const server = await startServerProcess({ DATA_DIR: dataDir, INJECT_FAULT: fault }, ['--import', injectFault]);
      try {
        server.child.kill('SIGUSR2');
        const exit = await server.exited;
        assert.equal(exit.code, 1, server.output());
        const fatal = server.logLines().filter((line) => line.level === 60);
        assert.equal(fatal.length, 1, server.output());
        assert.equal(fatal[0].msg, message);
        const err = fatal[0].err as { message?: string; stack?: string };
        assert.equal(err.message, 'injected fault while writing for [address]', 'the line says why, without the address');
        assert.match(err.stack ?? '', /inject-fault\.mjs/);
      } finally {
        server.child.kill('SIGKILL');
      }
    });
  }
});
