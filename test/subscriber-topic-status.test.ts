import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { addConfirmedSubscribers } from './helpers/sending';
import { markBounced, restoreBounced } from '../src/subscribers/bounce-state';
import { confirmSubscription, linkFor, unsubscribe, updateTopics } from '../src/subscribers/service';
import { SUBSCRIBER_COUNT_ROWS_BEFORE_FOLDING, type SubscriberRow } from '../src/subscribers/queries';

/**
 * Issue 12: a topic membership carries its subscriber's status (kept by database triggers),
 * so the admin list's topic filter and its total read one index range. Whatever path
 * changes a subscriber, the list must answer exactly what the subscribers table says.
 */

const STATUSES = ['pending', 'confirmed', 'unsubscribed', 'bounced'];
const TOPICS = ['banking', 'fintech', 'finance'];

/** The truth, from subscribers and memberships joined, without the kept status. */
async function expectedEmails(t: TestApp, topic: string, status: string): Promise<string[]> {
  const rows: { email: string }[] = await t
    .db('subscribers as s')
    .join('subscriber_topics as st', 'st.subscriber_id', 's.id')
    .join('topics as tp', 'tp.id', 'st.topic_id')
    .where({ 'tp.slug': topic, 's.status': status })
    .orderBy('s.id')
    .select('s.email');
  return rows.map((r) => r.email);
}

async function assertListsMatch(t: TestApp, when: string) {
  for (const topic of TOPICS) {
    for (const status of STATUSES) {
      const expected = await expectedEmails(t, topic, status);
      const page = await t.admin('get', `/api/admin/subscribers?topic=${topic}&status=${status}&pageSize=100`).expect(200);
      assert.equal(page.body.total, expected.length, `${when}: total of ${status} ${topic} readers`);
      assert.deepEqual(page.body.items.map((i: { email: string }) => i.email), expected, `${when}: ${status} ${topic} readers`);
    }
    const all = await t.admin('get', `/api/admin/subscribers?topic=${topic}&pageSize=100`).expect(200);
    const everyStatus = (await Promise.all(STATUSES.map((s) => expectedEmails(t, topic, s)))).flat();
    assert.equal(all.body.total, everyStatus.length, `${when}: every ${topic} reader`);
  }
  for (const status of STATUSES) {
    const [{ n }] = await t.db('subscribers').where({ status }).count({ n: '*' });
    const page = await t.admin('get', `/api/admin/subscribers?status=${status}&pageSize=1`).expect(200);
    assert.equal(page.body.total, Number(n), `${when}: total of every ${status} subscriber`);
  }
  const [{ n: everyone }] = await t.db('subscribers').count({ n: '*' });
  const unfiltered = await t.admin('get', '/api/admin/subscribers?pageSize=1').expect(200);
  assert.equal(unfiltered.body.total, Number(everyone), `${when}: total of every subscriber`);
  const drift = await t
    .db('subscriber_topics as st')
    .join('subscribers as s', 's.id', 'st.subscriber_id')
    .whereRaw('st.status is null or st.status <> s.status')
    .count({ n: '*' });
  assert.equal(Number(drift[0].n), 0, `${when}: every membership carries its subscriber's status`);
}

describeEachEngine('the admin list by topic and status, after every kind of change', (engine) => {
  let t: TestApp;
  const row = (email: string) => t.db('subscribers').where({ email }).first() as Promise<SubscriberRow>;
  const deps = () => ({ db: t.db, config: t.config, mailQueued: () => {} });
  before(async () => {
    t = await startTestApp(engine);
  });
  after(async () => {
    await t.close();
  });

  it('follows imports, sign-ups, confirmations, topic changes, unsubscribes, bounces and erasure', async () => {
    await addConfirmedSubscribers(t, [
      { email: 'kept.a@example.com', topics: ['banking', 'fintech'] },
      { email: 'kept.b@example.com', topics: ['banking'] },
      { email: 'leaves@example.com', topics: ['banking', 'finance'] },
      { email: 'bounces@example.com', topics: ['fintech'] },
      { email: 'erased@example.com', topics: ['banking', 'fintech'] },
      { email: 'moves@example.com', topics: ['banking'] },
    ]);
    await assertListsMatch(t, 'after the import');

    for (const email of ['signs.up@example.com', 'stays.pending@example.com']) {
      await t.agent().post('/api/subscriptions').send({ email, consent: true, topics: ['banking', 'fintech'] }).expect(202);
    }
    await assertListsMatch(t, 'after two sign-ups');

    const confirmed = await confirmSubscription(deps(), new URL(linkFor(deps(), await row('signs.up@example.com'), 'confirm')).searchParams.get('token'));
    assert.equal(confirmed.ok, true);
    await assertListsMatch(t, 'after a confirmation');

    await updateTopics(deps(), await row('moves@example.com'), ['fintech', 'finance']);
    await assertListsMatch(t, 'after a change of topics');

    const left = await unsubscribe(deps(), new URL(linkFor(deps(), await row('leaves@example.com'), 'unsubscribe')).searchParams.get('token'));
    assert.equal(left.ok, true);
    await assertListsMatch(t, 'after an unsubscribe');

    const bouncer = await row('bounces@example.com');
    await markBounced(t.db, [bouncer.id], new Date());
    await assertListsMatch(t, 'after a bounce');
    await restoreBounced(t.db, [bouncer.id], new Date());
    assert.equal((await row('bounces@example.com')).status, 'confirmed');
    await assertListsMatch(t, 'after a bounce was set right');

    await t.admin('delete', '/api/admin/subscribers/erased@example.com').expect(204);
    await assertListsMatch(t, 'after an erasure');

    const confirmedBanking = await t.admin('get', '/api/admin/subscribers?topic=banking&status=confirmed').expect(200);
    assert.deepEqual(confirmedBanking.body.items.map((i: { email: string }) => i.email), ['kept.a@example.com', 'kept.b@example.com', 'signs.up@example.com']);
  });

  it('keeps status totals right when its changes are folded, with sign-ups and readers at once', async () => {
    // Sign-ups and confirmations, each a change or two, while readers fold the changes.
    const emails = Array.from({ length: 60 }, (_, i) => `burst${i}@example.com`);
    await Promise.all(
      emails.map(async (email, i) => {
        await t.agent().post('/api/subscriptions').send({ email, consent: true, topics: ['banking'] }).expect(202);
        if (i % 2) {
          const token = new URL(linkFor(deps(), await row(email), 'confirm')).searchParams.get('token');
          assert.equal((await confirmSubscription(deps(), token)).ok, true);
        }
        await t.admin('get', '/api/admin/subscribers?status=pending&pageSize=1').expect(200);
      }),
    );
    await assertListsMatch(t, 'after a burst of sign-ups');
    // However many changes there were, a read leaves one row per count.
    for (let i = 0; i < SUBSCRIBER_COUNT_ROWS_BEFORE_FOLDING + 1; i++) {
      await t.db('subscribers').where({ email: emails[0] }).update({ status: i % 2 ? 'pending' : 'unsubscribed' });
    }
    await t.admin('get', '/api/admin/subscribers?status=pending&pageSize=1').expect(200);
    const [{ n: rows }] = await t.db('subscriber_counts').count({ n: '*' });
    const statuses = await t.db('subscribers').distinct('status');
    const memberships = await t.db('subscriber_topics').distinct('topic_id', 'status');
    assert.equal(Number(rows), statuses.length + memberships.length, 'one row per status and per topic and status');
    await assertListsMatch(t, 'after the changes were folded');
  });

  it('pages a topic filter by id, the total counting every page', async () => {
    await addConfirmedSubscribers(
      t,
      Array.from({ length: 7 }, (_, i) => ({ email: `paged${i}@example.com`, topics: ['investing'] })),
    );
    const pages = [];
    for (const page of [1, 2, 3, 4]) {
      const r = await t.admin('get', `/api/admin/subscribers?topic=investing&status=confirmed&page=${page}&pageSize=3`).expect(200);
      assert.equal(r.body.total, 7);
      pages.push(r.body.items.map((i: { email: string }) => i.email));
    }
    assert.deepEqual(pages, [
      ['paged0@example.com', 'paged1@example.com', 'paged2@example.com'],
      ['paged3@example.com', 'paged4@example.com', 'paged5@example.com'],
      ['paged6@example.com'],
      [],
    ]);
  });
});
