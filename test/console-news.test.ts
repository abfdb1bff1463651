import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { addArticles, addConfirmedSubscribers, waitForDigest } from './helpers/sending';

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
