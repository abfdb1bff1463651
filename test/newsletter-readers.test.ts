import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import request from 'supertest';
import { csrfFrom, localPath, startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { addArticles, addConfirmedSubscribers, waitForDigest } from './helpers/sending';
import { linksIn, sentTo } from './helpers/smtp';

/** Issue 13, readers: used links tell the truth, and the archive of sent digests. */
describeEachEngine('newsletter readers: used links and the archive', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
  });
  after(async () => {
    await t.close();
  });

  it('a confirm link opened again after confirming says “You are subscribed” with 200, and changes nothing', async () => {
    const agent = t.agent();
    const form = await agent.get('/newsletter');
    await agent.post('/newsletter/subscribe').type('form').send({ _csrf: csrfFrom(form.text), email: 'twice.clicked@example.com', topics: 'finance', consent: 'on' }).expect(303);
    const [mail] = await t.smtp.waitFor(sentTo('twice.clicked@example.com'));
    const confirm = localPath([...linksIn(mail)].find((l) => l.includes('/newsletter/confirm?token='))!);
    const page = await agent.get(confirm).expect(200);
    await agent.post(confirm).type('form').send({ _csrf: csrfFrom(page.text) }).expect(200);
    const before = await t.db('subscribers').where({ email: 'twice.clicked@example.com' }).first();

    // Confirming brings a welcome with the reader's own preferences link, which says whose preferences they are.
    const [welcome] = await t.smtp.waitFor((m) => sentTo('twice.clicked@example.com')(m) && /^Welcome/.test(m.subject ?? ''));
    assert.equal(welcome.subject, 'Welcome to the newsletter from The Finance Ledger');
    const preferences = [...linksIn(welcome)].find((l) => l.includes('/newsletter/preferences?token='));
    assert.ok(preferences, 'the welcome carries the preferences link');
    assert.ok([...linksIn(welcome)].some((l) => l.includes('/newsletter/unsubscribe?token=')));
    const prefsPage = await t.agent().get(localPath(preferences!)).expect(200);
    assert.match(prefsPage.text, /For <strong>twice\.clicked@example\.com<\/strong>/);

    const again = await t.agent().get(confirm);
    assert.equal(again.status, 200);
    assert.match(again.text, /You are subscribed/);
    assert.doesNotMatch(again.text, /<button/);
    const after = await t.db('subscribers').where({ email: 'twice.clicked@example.com' }).first();
    assert.equal(after.token_nonce, before.token_nonce, 'nothing changed');

    // After leaving, the old confirm link does not pretend the reader is subscribed.
    await t.db('subscribers').where({ id: after.id }).update({ status: 'unsubscribed' });
    assert.equal((await t.agent().get(confirm)).status, 400);
  });

  it('lists sent digests, newest first, tests and unsent ones left out, each linking to its web copy', async () => {
    assert.match((await request(t.app).get('/newsletter/archive').expect(200)).text, /No digest has been sent yet/);
    await addConfirmedSubscribers(t, [{ email: 'archive.reader@example.com', topics: ['finance'] }]);
    await addArticles(t, 'finance', 2, 'Archive');
    const first = await t.admin('post', '/api/admin/digests').send({ topic: 'finance', subject: 'Archive one' }).expect(202);
    await waitForDigest(t, first.body.id, ['sent']);
    await addArticles(t, 'finance', 1, 'Archive');
    const test = await t.admin('post', '/api/admin/digests').send({ topic: 'finance', subject: 'Only a test', testRecipients: ['editor@example.com'] }).expect(202);
    await waitForDigest(t, test.body.id, ['sent']);
    const second = await t.admin('post', '/api/admin/digests').send({ topic: 'finance', subject: 'Archive two' }).expect(202);
    await waitForDigest(t, second.body.id, ['sent']);

    const archive = await request(t.app).get('/newsletter/archive').expect(200);
    const links = [...archive.text.matchAll(/<a href="\/digests\/([^"]+)">([^<]+)<\/a>/g)].map((m) => [m[1], m[2]]);
    assert.deepEqual(links, [[second.body.id, 'Archive two'], [first.body.id, 'Archive one']]);
    await request(t.app).get(`/digests/${second.body.id}`).expect(200);
    assert.equal((await request(t.app).get('/newsletter/archive?sort=old')).status, 400);
  });
});
