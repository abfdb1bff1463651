import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, it } from 'node:test';
import request from 'supertest';
import { createApp } from '../src/app';
import { createLogger } from '../src/logger';
import { csrfFrom, startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { createProgramme, entryFields, PDF } from './helpers/factories';

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
