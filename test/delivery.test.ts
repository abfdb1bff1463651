import assert from 'node:assert/strict';
import { after, afterEach, before, it } from 'node:test';
import request from 'supertest';
import { localPath, startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { addArticles, addConfirmedSubscribers, waitForDigest } from './helpers/sending';
import { sentTo } from './helpers/smtp';

describeEachEngine('sending a digest', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
  });
  after(async () => {
    await t.close();
  });
  afterEach(() => {
    t.smtp.rejectWith(null);
  });

  it('reaches every confirmed subscriber of the topic once, with their own links and the bulk-mail headers', async () => {
    await addArticles(t, 'banking', 3);
    const readers = ['ada@example.com', 'ben@example.com', 'cy@example.com'];
    await addConfirmedSubscribers(t, readers.map((email, i) => ({ email, name: i === 0 ? 'Ada Lovelace' : undefined, topics: ['banking'] })));
    // People who must receive nothing.
    await addConfirmedSubscribers(t, [{ email: 'other-topic@example.com', topics: ['insurance'] }, { email: 'left@example.com', topics: ['banking'] }, { email: 'bounced@example.com', topics: ['banking'] }, { email: 'erased@example.com', topics: ['banking'] }]);
    await t.db('subscribers').where({ email: 'left@example.com' }).update({ status: 'unsubscribed' });
    await t.db('subscribers').where({ email: 'bounced@example.com' }).update({ status: 'bounced' });
    await t.admin('delete', '/api/admin/subscribers/erased@example.com').expect(204);
    await t.agent().post('/api/subscriptions').send({ email: 'pending@example.com', topics: ['banking'], consent: true }).expect(202);

    const trigger = await t.admin('post', '/api/admin/digests').send({ topic: 'banking' }).expect(202);
    assert.equal(trigger.body.recipients, 3);
    assert.equal(trigger.body.status, 'sending');
    const done = await waitForDigest(t, trigger.body.id, ['sent']);
    assert.deepEqual(done.counts, { queued: 0, sending: 0, sent: 3, failed: 0, bounced: 0, complaints: 0, unsubscribed: 0 });
    assert.ok(done.startedAt && done.finishedAt);

    for (const email of readers) assert.equal(t.smtp.to(email).length, 1, `${email} gets exactly one`);
    for (const email of ['other-topic@example.com', 'left@example.com', 'bounced@example.com', 'erased@example.com', 'pending@example.com']) {
      assert.equal(t.smtp.to(email).filter((m) => !/Confirm your subscription/.test(m.subject ?? '')).length, 0, `${email} gets no digest`);
    }

    const [ada] = t.smtp.to('ada@example.com');
    const [ben] = t.smtp.to('ben@example.com');
    // The raw header lines, as a mailbox provider reads them.
    const header = (m: typeof ada, name: string) => m.headerLines.find((h) => h.key === name)?.line.slice(name.length + 1).trim() ?? '';
    const unsubscribeOf = (m: typeof ada) => /^<([^>]+)>$/.exec(header(m, 'list-unsubscribe'))?.[1] ?? '';
    assert.match(String(ada.html), /Hello Ada Lovelace,/);
    assert.match(String(ada.text), /Hello Ada Lovelace,/);
    assert.match(String(ben.text), /Hello,/);
    assert.equal(header(ada, 'list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
    assert.match(header(ada, 'list-id'), /<banking\.newsletter\.localhost>$/);
    assert.match(ada.messageId ?? '', new RegExp(`^<${trigger.body.id}\\.[A-Za-z0-9_-]+@localhost>$`));
    assert.notEqual(ada.messageId, ben.messageId);
    const adaLink = unsubscribeOf(ada);
    const benLink = unsubscribeOf(ben);
    assert.match(adaLink, /\/newsletter\/unsubscribe\?token=/);
    assert.notEqual(adaLink, benLink, 'each recipient has their own unsubscribe link');
    assert.ok(String(ada.html).includes(adaLink.replace(/&/g, '&amp;')), 'the footer carries the same link');
    assert.ok(String(ada.text).includes(adaLink));
    assert.ok(!String(ada.html).includes(benLink) && !String(ada.text).includes(benLink));

    // Erasing a recipient afterwards leaves no trace of them in the send's records.
    await t.admin('delete', '/api/admin/subscribers/cy@example.com').expect(204);
    assert.equal((await t.db('deliveries').where({ email: 'cy@example.com' })).length, 0);
    assert.equal((await t.db('deliveries').where({ digest_id: trigger.body.id })).length, 2);

    // The one-click link unsubscribes exactly that reader.
    await request(t.app).post(localPath(benLink)).type('form').send('List-Unsubscribe=One-Click').expect(200);
    assert.equal((await t.db('subscribers').where({ email: 'ben@example.com' }).first()).status, 'unsubscribed');
    assert.equal((await t.db('subscribers').where({ email: 'ada@example.com' }).first()).status, 'confirmed');
  });

  it('makes one digest per Idempotency-Key, even for concurrent requests, and 409 when nothing is new', async () => {
    await addArticles(t, 'fintech', 2);
    await addConfirmedSubscribers(t, [{ email: 'idem@example.com', topics: ['fintech'] }]);
    const post = (key: string, body: object = { topic: 'fintech' }) => t.admin('post', '/api/admin/digests').set('Idempotency-Key', key).send(body);
    const [a, b] = await Promise.all([post('key-1'), post('key-1')]);
    assert.equal(a.status, 202);
    assert.equal(b.status, 202);
    assert.equal(a.body.id, b.body.id);
    const again = await post('key-1');
    assert.equal(again.body.id, a.body.id);
    const misuse = await post('key-1', { topic: 'fintech', limit: 3 });
    assert.equal(misuse.status, 422);
    assert.equal(misuse.body.error.code, 'idempotency_key_reused');
    const nothingNew = await post('key-2');
    assert.equal(nothingNew.status, 409);
    assert.equal(nothingNew.body.error.code, 'no_new_articles');
    await waitForDigest(t, a.body.id, ['sent']);
    assert.equal(t.smtp.to('idem@example.com').length, 1);
    const [{ n }] = await t.db('digests').where({ is_test: false }).join('topics', 'topics.id', 'digests.topic_id').where('topics.slug', 'fintech').count({ n: '*' });
    assert.equal(Number(n), 1);
  });

  it('sends test digests only to the test recipients, without using the articles up', async () => {
    await addArticles(t, 'investing', 2);
    await addConfirmedSubscribers(t, [{ email: 'investor@example.com', topics: ['investing'] }]);
    const test = await t.admin('post', '/api/admin/digests').send({ topic: 'investing', testRecipients: ['editor@example.com'] }).expect(202);
    assert.equal(test.body.recipients, 1);
    await waitForDigest(t, test.body.id, ['sent']);
    assert.equal(t.smtp.to('editor@example.com').length, 1);
    assert.equal(t.smtp.to('investor@example.com').length, 0);
    const real = await t.admin('post', '/api/admin/digests').send({ topic: 'investing' }).expect(202);
    await waitForDigest(t, real.body.id, ['sent']);
    assert.equal(t.smtp.to('investor@example.com').length, 1);
  });

  it('rides out 421 replies for the first 200 messages: everyone gets one message, nobody fails', async () => {
    await addArticles(t, 'insurance', 2);
    const emails = Array.from({ length: 240 }, (_, i) => `throttled${i}@example.com`);
    await addConfirmedSubscribers(t, emails.map((email) => ({ email, topics: ['insurance'] })));
    const start = t.smtp.attempts();
    t.smtp.rejectWith((_rcpt, attempt) => (attempt - start <= 200 ? { code: 421, message: 'Too busy, try later' } : null));
    const trigger = await t.admin('post', '/api/admin/digests').send({ topic: 'insurance' }).expect(202);
    const done = await waitForDigest(t, trigger.body.id, ['sent'], 60_000);
    assert.equal(done.counts.failed, 0);
    assert.equal(done.counts.sent, trigger.body.recipients);
    for (const email of emails) assert.equal(t.smtp.to(email).length, 1, email);
    assert.equal(Number((await t.db('subscribers').whereIn('email', emails).where('status', 'bounced').count({ n: '*' }))[0].n), 0);
  });

  it('fails and bounces only the addresses answered 550; the next digest skips them; retry-failed re-queues only them', async () => {
    await addArticles(t, 'finance', 2);
    const good = Array.from({ length: 20 }, (_, i) => `good${i}@example.com`);
    const bad = ['nobody1@example.com', 'nobody2@example.com'];
    await addConfirmedSubscribers(t, [...good, ...bad].map((email) => ({ email, topics: ['finance'] })));
    t.smtp.rejectWith((rcpt) => (bad.includes(rcpt) ? { code: 550, message: 'No such user here' } : null));
    const first = await t.admin('post', '/api/admin/digests').send({ topic: 'finance' }).expect(202);
    const done = await waitForDigest(t, first.body.id, ['sent']);
    assert.deepEqual(done.counts, { queued: 0, sending: 0, sent: 20, failed: 2, bounced: 0, complaints: 0, unsubscribed: 0 });
    assert.ok(done.lastErrors.some((e: { error: string }) => /550/.test(e.error) || /No such user/.test(e.error)));
    for (const email of bad) assert.equal((await t.db('subscribers').where({ email }).first()).status, 'bounced');
    for (const email of good) assert.equal(t.smtp.to(email).length, 1);

    await addArticles(t, 'finance', 1, 'Later');
    const second = await t.admin('post', '/api/admin/digests').send({ topic: 'finance' }).expect(202);
    assert.equal(second.body.recipients, 20, 'bounced addresses are not in the next digest');
    await waitForDigest(t, second.body.id, ['sent']);

    t.smtp.rejectWith(null);
    const sentBefore = t.smtp.messages.length;
    const retried = await t.admin('post', `/api/admin/digests/${first.body.id}/retry-failed`).expect(200);
    assert.equal(retried.body.requeued, 2);
    const after = await waitForDigest(t, first.body.id, ['sent']);
    assert.deepEqual(after.counts, { queued: 0, sending: 0, sent: 22, failed: 0, bounced: 0, complaints: 0, unsubscribed: 0 });
    assert.equal(t.smtp.messages.length - sentBefore, 2, 'only the failed recipients were sent again');
    for (const email of bad) assert.equal(t.smtp.to(email).length, 1);
  });

  it('loses nothing when the mail server is down for a few seconds mid-send', async () => {
    const topic = 'banking';
    await addArticles(t, topic, 1, 'Outage');
    const emails = Array.from({ length: 150 }, (_, i) => `outage${i}@example.com`);
    await addConfirmedSubscribers(t, emails.map((email) => ({ email, topics: [topic] })));
    await t.db('subscribers').whereIn('email', ['ada@example.com']).update({ status: 'unsubscribed' });
    const trigger = await t.admin('post', '/api/admin/digests').send({ topic }).expect(202);
    await t.smtp.waitFor((m) => /outage/.test(String(m.to && !Array.isArray(m.to) ? m.to.text : '')), 10, 20_000);
    await t.smtp.down(2500);
    const done = await waitForDigest(t, trigger.body.id, ['sent'], 60_000);
    assert.equal(done.counts.failed, 0);
    for (const email of emails) assert.equal(t.smtp.to(email).length, 1, email);
  });
});

describeEachEngine('steering a send', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine, { SEND_RATE: '40' });
  });
  after(async () => {
    await t.close();
  });

  it('pauses, resumes and cancels mid-send', async () => {
    await addArticles(t, 'finance', 1);
    const emails = Array.from({ length: 120 }, (_, i) => `steer${i}@example.com`);
    await addConfirmedSubscribers(t, emails.map((email) => ({ email, topics: ['finance'] })));
    const trigger = await t.admin('post', '/api/admin/digests').send({ topic: 'finance' }).expect(202);
    const id = trigger.body.id;
    await t.smtp.waitFor(sentTo(emails[0]), 1, 10_000);
    await t.smtp.waitFor(() => true, 10, 10_000);

    const paused = await t.admin('post', `/api/admin/digests/${id}/pause`).expect(200);
    assert.equal(paused.body.status, 'paused');
    await new Promise((r) => setTimeout(r, 1200)); // messages already handed to SMTP may still land
    const atPause = t.smtp.messages.length;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(t.smtp.messages.length, atPause, 'a paused send sends nothing more');
    assert.ok(atPause < 120);
    const state = await t.admin('get', `/api/admin/digests/${id}`).expect(200);
    assert.equal(state.body.counts.sending, 0, 'a paused send holds no claimed rows');
    assert.equal((await t.admin('post', `/api/admin/digests/${id}/pause`)).status, 409);

    await t.admin('post', `/api/admin/digests/${id}/resume`).expect(200);
    await t.smtp.waitFor(() => true, atPause + 10, 10_000);
    await t.admin('post', `/api/admin/digests/${id}/cancel`).expect(200);
    await new Promise((r) => setTimeout(r, 1200));
    const atCancel = t.smtp.messages.length;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(t.smtp.messages.length, atCancel, 'a cancelled send sends nothing more');
    const final = await t.admin('get', `/api/admin/digests/${id}`).expect(200);
    assert.equal(final.body.status, 'cancelled');
    assert.ok(final.body.counts.sent < 120);
    assert.equal((await t.admin('post', `/api/admin/digests/${id}/resume`)).status, 409);
    for (const email of emails) assert.ok(t.smtp.to(email).length <= 1);
  });

  it('answers unknown digests with 404 and bad triggers with the error shape', async () => {
    assert.equal((await t.admin('get', '/api/admin/digests/nope')).status, 404);
    assert.equal((await t.admin('post', '/api/admin/digests/nope/pause')).status, 404);
    for (const body of [{}, { topic: 'Bad Topic' }, { topic: 'finance', limit: 0 }, { topic: 'finance', testRecipients: ['not-an-address'] }, { topic: 'finance', subject: 'two\r\nlines' }, { topic: 'finance', colour: 'red' }]) {
      const r = await t.admin('post', '/api/admin/digests').send(body);
      assert.equal(r.status, 422, JSON.stringify(body));
      assert.equal(r.body.error.code, 'validation_failed');
    }
    const unknownTopic = await t.admin('post', '/api/admin/digests').send({ topic: 'astrology' });
    assert.ok([404, 422].includes(unknownTopic.status));
    assert.equal((await request(t.app).post('/api/admin/digests').send({ topic: 'finance' })).status, 401);
  });
});

describeEachEngine('a sender in trouble', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine, {}, { pauseAfterFailures: 5 });
  });
  after(async () => {
    await t.close();
  });

  it('pauses a digest after too many permanent failures in a row, showing why', async () => {
    await addArticles(t, 'banking', 1, 'Refused');
    const emails = Array.from({ length: 30 }, (_, i) => `refused${i}@example.com`);
    await addConfirmedSubscribers(t, emails.map((email) => ({ email, topics: ['banking'] })));
    t.smtp.rejectWith(() => ({ code: 554, message: 'Sender blocked' }));
    const trigger = await t.admin('post', '/api/admin/digests').send({ topic: 'banking' }).expect(202);
    let paused = await waitForDigest(t, trigger.body.id, ['paused']);
    assert.match(paused.reason, /permanent failures in a row.*Sender blocked/);
    // The batch in hand gives its unsent rows back as it winds down.
    while (paused.counts.sending > 0) paused = await waitForDigest(t, trigger.body.id, ['paused']);
    assert.ok(paused.counts.failed >= 5 && paused.counts.failed < 30, `${paused.counts.failed} failed before the pause`);
    assert.equal(paused.counts.queued + paused.counts.failed, 30, 'the rest wait for an admin');
  });

  it('keeps one send clock for the whole sender: each reservation starts where the last one ended', async () => {
    const { reserveSendSlots } = await import('../src/delivery/queries');
    const now = new Date('2030-01-01T00:00:00Z');
    const first = await reserveSendSlots(t.db, 20, 10, now);
    const second = await reserveSendSlots(t.db, 20, 10, now);
    const third = await reserveSendSlots(t.db, 5, 10, new Date(now.getTime() + 60_000));
    assert.equal(first.toISOString(), now.toISOString());
    assert.equal(second.getTime() - first.getTime(), 2000, '20 messages at 10 per second take the next 2 seconds of the clock');
    assert.equal(third.toISOString(), new Date(now.getTime() + 60_000).toISOString(), 'an idle clock starts from now');
  });
});
