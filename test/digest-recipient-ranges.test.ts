import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { addArticles, addConfirmedSubscribers, messagesPerRecipient, waitForDigest } from './helpers/sending';
import { triggerDigest } from '../src/delivery/service';
import { writeNextRecipientRange } from '../src/delivery/recipients';

/**
 * Issue 12: a trigger answers at once however many readers there are. It counts them and
 * writes the first range of recipients; the senders write the rest, one range per pass.
 * Ranges here are a handful of subscriber ids so that a small list spans several.
 */

const readers = (prefix: string, count: number, topics: string[]) =>
  Array.from({ length: count }, (_, i) => ({ email: `${prefix}${String(i + 1).padStart(2, '0')}@example.com`, topics }));

const cursorOf = async (t: TestApp, id: string) => (await t.db('digests').where({ id }).first('snapshot_after', 'recipients')) as { snapshot_after: unknown; recipients: number | string };

describeEachEngine('a digest’s recipients written in ranges', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine, {}, { recipientRange: 4 });
    await addArticles(t, 'banking', 2, 'Ranges');
    await addConfirmedSubscribers(t, readers('ranged', 23, ['banking']));
    await addConfirmedSubscribers(t, readers('elsewhere', 2, ['insurance']));
  });
  after(async () => {
    await t.close();
  });

  it('answers with the count, writes the rest once across concurrent writers, and sends each reader one email', async () => {
    await t.workers.delivery.stop(); // nothing writes or sends until the test says so
    const deps = { db: t.db, config: t.config, deliveryQueued: () => {}, recipientRange: 5 };
    const answer = await triggerDigest(deps, { topic: 'banking' });
    assert.equal(answer.recipients, 23, 'the answer counts every reader, written or not');
    const written = Number((await t.db('deliveries').where({ digest_id: answer.id }).count({ n: '*' }))[0].n);
    assert.ok(written > 0 && written <= 5, `only the first range is written at the trigger (${written})`);
    assert.notEqual((await cursorOf(t, answer.id)).snapshot_after, null);

    // Between the trigger and the later ranges: one reader is erased, one signs up.
    await t.admin('delete', '/api/admin/subscribers/ranged20@example.com').expect(204);
    await addConfirmedSubscribers(t, [{ email: 'too.late@example.com', topics: ['banking'] }]);
    const progress = await t.admin('get', `/api/admin/digests/${answer.id}`).expect(200);
    assert.equal(progress.body.status, 'sending');

    // Two writers at once (two connections on PostgreSQL), pass after pass, until both find nothing.
    let passes = 0;
    for (;;) {
      const wrote = await Promise.all([writeNextRecipientRange(t.db, new Date(), 4), writeNextRecipientRange(t.db, new Date(), 4)]);
      passes++;
      if (!wrote.some(Boolean)) break;
      assert.ok(passes < 50, 'the ranges come to an end');
    }
    const rows: { email: string }[] = await t.db('deliveries').where({ digest_id: answer.id }).select('email');
    const emails = rows.map((r) => r.email).sort();
    assert.equal(new Set(emails).size, emails.length, 'nobody written twice');
    assert.deepEqual(emails, readers('ranged', 23, []).map((r) => r.email).filter((e) => e !== 'ranged20@example.com'));
    const settled = await cursorOf(t, answer.id);
    assert.equal(settled.snapshot_after, null, 'every range written');
    assert.equal(Number(settled.recipients), 22, 'once written, recipients are the rows themselves');

    t.workers.delivery.start();
    const done = await waitForDigest(t, answer.id, ['sent']);
    assert.equal(done.counts.sent, 22);
    assert.equal(done.recipients, 22);
    const got = messagesPerRecipient(t, [...emails, 'ranged20@example.com', 'too.late@example.com', 'elsewhere01@example.com']);
    for (const email of emails) assert.equal(got.get(email), 1, `${email} gets one email`);
    assert.equal(got.get('ranged20@example.com'), 0, 'erased before their range: not sent');
    assert.equal(got.get('too.late@example.com'), 0, 'signed up after the trigger: the next digest');
    assert.equal(got.get('elsewhere01@example.com'), 0);
  });

  it('does not call a send finished while ranges are left, even when every written row is sent', async () => {
    await addArticles(t, 'banking', 1, 'Ranges again');
    // The worker writes 4 ids per pass and sends what is there: it must not end the digest early.
    const answer = await triggerDigest({ db: t.db, config: t.config, deliveryQueued: () => t.workers.delivery.kick(), recipientRange: 1 }, { topic: 'banking' });
    assert.equal(answer.recipients, 23, '22 readers and the late sign-up');
    const done = await waitForDigest(t, answer.id, ['sent']);
    assert.equal(done.counts.sent, 23);
    assert.equal(done.counts.queued + done.counts.sending + done.counts.failed, 0);
    assert.equal((await cursorOf(t, answer.id)).snapshot_after, null);
  });

  it('renders each topic combination counted at the trigger, for readers in every range', async () => {
    await addArticles(t, 'insurance', 1, 'Ranged cover');
    await addArticles(t, 'fintech', 1, 'Ranged apps');
    // Combinations spread over the ids, so later ranges hold combinations the first does not.
    const mixed = [
      ...readers('mix-i', 3, ['insurance']),
      ...readers('mix-f', 3, ['fintech']),
      ...readers('mix-b', 3, ['insurance', 'fintech']),
    ];
    await addConfirmedSubscribers(t, mixed);
    const answer = await triggerDigest({ db: t.db, config: t.config, deliveryQueued: () => t.workers.delivery.kick(), recipientRange: 2 }, { topics: ['insurance', 'fintech'] });
    // Insurance readers: the two 'elsewhere' readers and three mix-i; fintech three; both three.
    assert.equal(answer.recipients, 11);
    const variants = await t.db('digest_variants').where({ digest_id: answer.id }).orderBy('topics_mask').pluck('topics_mask');
    assert.deepEqual(variants.map(Number), [1, 2, 3]);
    await waitForDigest(t, answer.id, ['sent']);
    const headings = (email: string) => {
      const mails = t.smtp.to(email).filter((m) => m.messageId?.startsWith(`<${answer.id}.`));
      assert.equal(mails.length, 1, `${email}: one email`);
      return [...String(mails[0].html).matchAll(/<h2[^>]*>([^<]+)<\/h2>/g)].map((m) => m[1]);
    };
    assert.deepEqual(headings('mix-i03@example.com'), ['Insurance']);
    assert.deepEqual(headings('mix-f03@example.com'), ['Fintech']);
    assert.deepEqual(headings('mix-b03@example.com'), ['Insurance', 'Fintech']);
    assert.deepEqual(headings('elsewhere02@example.com'), ['Insurance']);
  });
});
