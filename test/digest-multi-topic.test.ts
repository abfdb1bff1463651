import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { addArticles, addConfirmedSubscribers, waitForDigest } from './helpers/sending';
import type { ReceivedMail } from './helpers/smtp';
import { triggerDigest } from '../src/delivery/service';

/** Issue 13: a digest of several topics, one email per reader with a section per topic they follow. */

/** The section headings of a message's HTML, in order. */
const headingsOf = (mail: ReceivedMail) => [...String(mail.html).matchAll(/<h2[^>]*>([^<]+)<\/h2>/g)].map((m) => m[1]);
const titlesIn = (titles: string[], mail: ReceivedMail) => titles.filter((title) => String(mail.text).includes(title));

describeEachEngine('a digest of several topics', (engine) => {
  let t: TestApp;
  const titles: Record<string, string[]> = {};
  before(async () => {
    t = await startTestApp(engine);
    for (const topic of ['banking', 'insurance', 'fintech']) {
      await addArticles(t, topic, 2, `Multi ${topic}`);
      const list = await t.admin('get', `/api/admin/articles?topic=${topic}`).expect(200);
      titles[topic] = list.body.items.map((a: { title: string }) => a.title);
    }
    await addConfirmedSubscribers(t, [
      { email: 'all.three@example.com', name: 'Ada', topics: ['banking', 'insurance', 'fintech'] },
      { email: 'banking.only@example.com', topics: ['banking'] },
      { email: 'two.of@example.com', topics: ['insurance', 'fintech', 'finance'] },
      { email: 'also.two@example.com', topics: ['fintech', 'insurance'] },
      { email: 'none.of@example.com', topics: ['finance'] },
    ]);
  });
  after(async () => {
    await t.close();
  });

  it('sends each reader one email with a section per topic they follow, rendered once per combination', async () => {
    const trigger = await t.admin('post', '/api/admin/digests').send({ topics: ['banking', 'insurance', 'fintech'] }).expect(202);
    assert.equal(trigger.body.recipients, 4, 'readers of any of the topics, each once');
    const done = await waitForDigest(t, trigger.body.id, ['sent']);
    assert.deepEqual(done.topics, ['banking', 'insurance', 'fintech']);
    assert.equal(done.counts.sent, 4);

    const [all, ...more] = t.smtp.to('all.three@example.com');
    assert.equal(more.length, 0, 'one email, not one per topic');
    assert.deepEqual(headingsOf(all), ['Banking', 'Insurance', 'Fintech']);
    for (const topic of ['banking', 'insurance', 'fintech']) assert.deepEqual(titlesIn(titles[topic], all), titles[topic], `${topic} section carries its articles`);
    assert.match(String(all.text), /Hello Ada,/);
    assert.match(String(all.text), /== Banking ==[\s\S]*== Insurance ==[\s\S]*== Fintech ==/);

    const [banking, ...again] = t.smtp.to('banking.only@example.com');
    assert.equal(again.length, 0);
    assert.deepEqual(headingsOf(banking), ['Banking'], 'only their topic’s section');
    assert.deepEqual(titlesIn([...titles.insurance, ...titles.fintech], banking), []);

    for (const email of ['two.of@example.com', 'also.two@example.com']) {
      const mails = t.smtp.to(email);
      assert.equal(mails.length, 1);
      assert.deepEqual(headingsOf(mails[0]), ['Insurance', 'Fintech']);
    }
    assert.equal(t.smtp.to('none.of@example.com').length, 0);

    // Three combinations are present (all three; banking; insurance + fintech): three renders, not four.
    const variants = await t.db('digest_variants').where({ digest_id: trigger.body.id }).orderBy('topics_mask');
    assert.deepEqual(variants.map((v: { topics_mask: number }) => Number(v.topics_mask)), [1, 6, 7]);
    const deliveries = await t.db('deliveries').where({ digest_id: trigger.body.id }).orderBy('email');
    assert.deepEqual(
      deliveries.map((d: { email: string; variant: number }) => [d.email, Number(d.variant)]),
      [['all.three@example.com', 7], ['also.two@example.com', 6], ['banking.only@example.com', 1], ['two.of@example.com', 6]],
    );

    // The web view shows every section; the articles are used up for each topic.
    const web = await t.agent().get(`/digests/${trigger.body.id}`).expect(200);
    assert.deepEqual([...web.text.matchAll(/<h2[^>]*>([^<]+)<\/h2>/g)].map((m) => m[1]), ['Banking', 'Insurance', 'Fintech']);
    const single = await t.admin('post', '/api/admin/digests').send({ topic: 'banking' });
    assert.equal(single.status, 409);
    assert.equal(single.body.error.code, 'no_new_articles');
  });

  it('carries an article once even when its topic is named twice, and leaves out a topic with nothing new', async () => {
    await addArticles(t, 'insurance', 1, 'Twice');
    const trigger = await t.admin('post', '/api/admin/digests').send({ topics: ['insurance', 'banking', 'insurance'] }).expect(202);
    const done = await waitForDigest(t, trigger.body.id, ['sent']);
    assert.deepEqual(done.topics, ['insurance'], 'banking had nothing new');
    const carried = await t.db('digest_articles').where({ digest_id: trigger.body.id });
    assert.equal(carried.length, 1);
    const mails = t.smtp.to('all.three@example.com').filter((m) => m.messageId?.startsWith(`<${trigger.body.id}.`));
    assert.equal(mails.length, 1);
    assert.equal(String(mails[0].text).split('Twice').length - 1, 1, 'the article appears once');
    assert.equal(t.smtp.to('banking.only@example.com').filter((m) => m.messageId?.startsWith(`<${trigger.body.id}.`)).length, 0, 'no empty email');
  });

  it('validates topics like topic, answers 409 when nothing is new, and keeps a single-topic digest as it was', async () => {
    const bad = await t.admin('post', '/api/admin/digests').send({ topics: [] });
    assert.equal(bad.body.error.code, 'validation_failed');
    assert.ok(bad.body.error.fields.topics);
    assert.equal((await t.admin('post', '/api/admin/digests').send({ topics: ['Not A Slug'] })).body.error.code, 'validation_failed');
    const both = await t.admin('post', '/api/admin/digests').send({ topic: 'banking', topics: ['banking'] });
    assert.equal(both.body.error.code, 'validation_failed');
    const unknownTopic = await t.admin('post', '/api/admin/digests').send({ topic: 'no-such-topic' });
    assert.equal((await t.admin('post', '/api/admin/digests').send({ topics: ['banking', 'no-such-topic'] })).status, unknownTopic.status, 'an unknown topic is refused as in {topic}');
    const nothing = await t.admin('post', '/api/admin/digests').send({ topics: ['banking', 'fintech'] });
    assert.equal(nothing.status, 409);
    assert.equal(nothing.body.error.code, 'no_new_articles');
    await assert.rejects(triggerDigest({ db: t.db, config: t.config, deliveryQueued: () => {} }, { topics: ['banking', 'fintech'] }), (err: { code?: string }) => err.code === 'no_new_articles');

    await addArticles(t, 'fintech', 1, 'Solo');
    const key = 'multi-topic-single-1';
    const first = await t.admin('post', '/api/admin/digests').set('Idempotency-Key', key).send({ topics: ['fintech'] }).expect(202);
    const same = await t.admin('post', '/api/admin/digests').set('Idempotency-Key', key).send({ topic: 'fintech' }).expect(202);
    assert.equal(same.body.id, first.body.id, '{topics: [one]} is the same request as {topic}');
    await waitForDigest(t, first.body.id, ['sent']);
    const [mail] = t.smtp.to('also.two@example.com').filter((m) => m.messageId?.startsWith(`<${first.body.id}.`));
    assert.ok(mail, 'a fintech reader got it');
    assert.deepEqual(headingsOf(mail), [], 'a single-topic digest has no sections');
    assert.match(String(mail.text), /Fintech digest, /);
    assert.equal((await t.db('digest_variants').where({ digest_id: first.body.id })).length, 0, 'rendered once, as before');
  });

  it('is callable by schedules: triggerDigest({topics}) answers as the route does', async () => {
    await addArticles(t, 'banking', 1, 'Scheduled');
    await addArticles(t, 'insurance', 1, 'Scheduled');
    let queued = 0;
    const answer = await triggerDigest({ db: t.db, config: t.config, deliveryQueued: () => queued++ }, { topics: ['banking', 'insurance'], subject: 'This week' });
    assert.deepEqual(Object.keys(answer).sort(), ['id', 'recipients', 'status']);
    assert.equal(answer.status, 'sending');
    assert.equal(answer.recipients, 4);
    assert.equal(queued, 1);
    const done = await waitForDigest(t, answer.id, ['sent']);
    assert.equal(done.subject, 'This week');
    const [mail] = t.smtp.to('two.of@example.com').filter((m) => m.messageId?.startsWith(`<${answer.id}.`));
    assert.equal(mail.subject, 'This week');
    assert.deepEqual(headingsOf(mail), ['Insurance']);
  });
});
