import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { toDate } from '../src/db';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';

/**
 * Issue 13: a pending import's confirmation emails go out through the shared send rate
 * (SEND_RATE, the sender clock digests use), not all at once. Asserted on the slots each
 * job reserved (its run_after), never on wall-clock timing.
 */
describeEachEngine('imports through the send rate', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine, { SEND_RATE: '5' });
  });
  after(async () => {
    await t.close();
  });

  const csv = (n: number, prefix: string) => 'email,name,topics\n' + Array.from({ length: n }, (_, i) => `${prefix}${i}@example.com,,finance`).join('\n');
  const slotsOf = async (prefix: string) => {
    const rows = await t.db('mail_jobs as j')
      .join('subscribers as s', 's.id', 'j.subscriber_id')
      .where('s.email', 'like', `${prefix}%`)
      .orderBy('j.run_after')
      .select('j.run_after', 'j.created_at');
    return rows.map((r) => ({ runAfter: toDate(r.run_after)!.getTime(), createdAt: toDate(r.created_at)!.getTime() }));
  };

  it('20 pending rows at SEND_RATE=5: each confirmation has its own slot, 200 ms after the one before', async () => {
    const response = await t.admin('post', '/api/admin/subscribers/import?status=pending').set('Content-Type', 'text/csv').send(csv(20, 'paced'));
    assert.equal(response.body.added, 20);
    const slots = await slotsOf('paced');
    assert.equal(slots.length, 20);
    for (let i = 1; i < slots.length; i++) {
      assert.ok(slots[i].runAfter - slots[i - 1].runAfter >= 199, `slot ${i} is ${slots[i].runAfter - slots[i - 1].runAfter} ms after the one before`);
    }
    assert.ok(slots[19].runAfter - slots[0].runAfter >= 3_800, 'spread over about 4 s, not sent at once');
    assert.ok(slots[0].runAfter >= slots[0].createdAt);

    // The clock is shared: the sender's next slot (a digest's, or another import's) comes after these.
    const clock = await t.db('sender_clock').where({ name: 'digest' }).first('next_slot_at');
    assert.ok(toDate(clock.next_slot_at)!.getTime() >= slots[19].runAfter + 199);

    // And every one of them is sent, in turn.
    const messages = await t.smtp.waitFor((m) => m.subject?.startsWith('Confirm your subscription') === true, 20, 30_000);
    assert.equal(messages.length, 20);
  });

  it('a second import queues behind the first on the same clock; confirmed imports reserve nothing', async () => {
    const before = await t.db('sender_clock').where({ name: 'digest' }).first('next_slot_at');
    await t.admin('post', '/api/admin/subscribers/import?status=confirmed&consentNote=migrated').set('Content-Type', 'text/csv').send(csv(30, 'migrated')).expect(200);
    const unchanged = await t.db('sender_clock').where({ name: 'digest' }).first('next_slot_at');
    assert.equal(toDate(unchanged.next_slot_at)!.getTime(), toDate(before.next_slot_at)!.getTime());

    await t.admin('post', '/api/admin/subscribers/import?status=pending').set('Content-Type', 'text/csv').send(csv(5, 'second')).expect(200);
    const second = await slotsOf('second');
    assert.equal(second.length, 5);
    // The first slot is the clock's next one, or now when the clock's is already past.
    assert.equal(second[0].runAfter, Math.max(toDate(before.next_slot_at)!.getTime(), second[0].createdAt));
    for (let i = 1; i < second.length; i++) assert.ok(second[i].runAfter - second[i - 1].runAfter >= 199);
  });
});

describeEachEngine('imports without a send rate', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
  });
  after(async () => {
    await t.close();
  });

  it('with SEND_RATE=0 the confirmations are due at once, and the clock is not touched', async () => {
    const body = 'email,name,topics\n' + Array.from({ length: 5 }, (_, i) => `free${i}@example.com,,finance`).join('\n');
    await t.admin('post', '/api/admin/subscribers/import?status=pending').set('Content-Type', 'text/csv').send(body).expect(200);
    const rows = await t.db('mail_jobs').select('run_after', 'created_at');
    assert.equal(rows.length, 5);
    for (const r of rows) assert.equal(toDate(r.run_after)!.getTime(), toDate(r.created_at)!.getTime());
    assert.equal(await t.db('sender_clock').first(), undefined);
  });
});
