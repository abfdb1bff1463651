import assert from 'node:assert/strict';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import express from 'express';
import { sendCsvRows } from '../src/http/listing';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';

// The admin export and list as a large list uses them: the export reads by id after the
// last row seen (several pages here), the list's search may use an index.

const N = 2600; // more than two of the export's 1,000-row pages, and a short last one
const TOPICS = ['banking', 'fintech', 'investing'];

describeEachEngine('subscriber lists at scale', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
    const lines = ['email,name,topics'];
    for (let i = 0; i < N; i++) lines.push(`reader${i}@scale.example,Reader ${i},finance;${TOPICS[i % 3]}`);
    const r = await t.admin('post', '/api/admin/subscribers/import?status=confirmed&consentNote=scale').set('Content-Type', 'text/csv').send(lines.join('\n')).expect(200);
    assert.equal(r.body.added, N);
    // Some who left, spread over every page, are still in an unfiltered export.
    await t.db('subscribers').whereRaw('id % 7 = 0').update({ status: 'unsubscribed' });
  });
  after(async () => {
    await t.close();
  });

  const exported = async (query: string) => {
    const r = await t.admin('get', `/api/admin/subscribers${query}`).set('Accept', 'text/csv').expect(200);
    assert.match(r.headers['content-type'], /text\/csv/);
    return parse(r.text, { columns: true }) as Record<string, string>[];
  };

  it('exports every subscriber once, in the order they were added, with their topics', async () => {
    const rows = await exported('');
    const stored: { email: string; status: string }[] = await t.db('subscribers').orderBy('id').select('email', 'status');
    assert.equal(rows.length, N);
    assert.deepEqual(rows.map((r) => r.email), stored.map((s) => s.email));
    assert.deepEqual(rows.map((r) => r.status), stored.map((s) => s.status));
    const i = 2345;
    const row = rows.find((r) => r.email === `reader${i}@scale.example`)!;
    assert.equal(row.name, `Reader ${i}`);
    assert.deepEqual(row.topics.split(';').sort(), ['finance', TOPICS[i % 3]].sort());
    assert.equal(row.consent_note, 'scale');
  });

  it('exports exactly the filtered subscribers across pages, as the list counts them', async () => {
    const expected: { email: string }[] = await t
      .db('subscribers')
      .join('subscriber_topics', 'subscriber_topics.subscriber_id', 'subscribers.id')
      .join('topics', 'topics.id', 'subscriber_topics.topic_id')
      .where({ 'subscribers.status': 'confirmed', 'topics.slug': 'fintech' })
      .orderBy('subscribers.id')
      .select('subscribers.email');
    assert.ok(expected.length > 600 && expected.length < N / 3);
    const rows = await exported('?status=confirmed&topic=fintech');
    assert.deepEqual(rows.map((r) => r.email), expected.map((e) => e.email));
    const list = await t.admin('get', '/api/admin/subscribers?status=confirmed&topic=fintech&pageSize=10').expect(200);
    assert.equal(list.body.total, expected.length);
  });

  it('finds a subscriber by part of the address or name, and none for a near miss', async () => {
    const byAddress = await t.admin('get', '/api/admin/subscribers?q=reader2599@').expect(200);
    assert.deepEqual(byAddress.body.items.map((s: { email: string }) => s.email), ['reader2599@scale.example']);
    assert.equal(byAddress.body.total, 1);
    const byName = await t.admin('get', '/api/admin/subscribers?q=READER 123').expect(200);
    // Reader 123 and Reader 1230 to 1239.
    assert.equal(byName.body.total, 11);
    const none = await t.admin('get', '/api/admin/subscribers?q=reader_2599').expect(200);
    assert.equal(none.body.total, 0, 'an underscore is taken literally');
  });
});

describe('a streamed CSV export', () => {
  it('reads rows only as the client takes them, and stops reading when the client leaves', { timeout: 20_000 }, async () => {
    let produced = 0;
    let finished!: () => void;
    const stopped = new Promise<void>((resolve) => (finished = resolve));
    async function* endless() {
      try {
        for (;;) {
          produced++;
          yield [`reader${produced}@example.com`, 'x'.repeat(200)];
          if (produced % 100 === 0) await new Promise((r) => setImmediate(r));
        }
      } finally {
        finished();
      }
    }
    const app = express().get('/export', (_req, res) => sendCsvRows(res, 'x.csv', ['email', 'note'], endless(), (row) => row));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const { port } = server.address() as AddressInfo;
      const first = await new Promise<string>((resolve) => {
        const req = get({ port, host: '127.0.0.1', path: '/export' }, (res) => res.once('data', (chunk) => resolve(String(chunk))));
        req.on('error', () => {});
        // The client reads nothing after its first chunk, then hangs up.
        req.once('response', (res) => res.once('data', () => setTimeout(() => req.destroy(), 300)));
      });
      assert.match(first, /^email,note\n/);
      await stopped;
      const atStop = produced;
      // Backpressure held it to what socket buffers take, far below an endless list.
      assert.ok(atStop < 200_000, `read ${atStop} rows for a client that took one chunk`);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(produced, atStop, 'nothing is read after the client left');
    } finally {
      server.close();
    }
  });
});
