import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import request from 'supertest';
import { emailHash } from '../src/subscribers/service';
import { ADMIN_TOKEN, startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { sentTo } from './helpers/smtp';

async function statusOf(t: TestApp, email: string): Promise<string | undefined> {
  return (await t.db('subscribers').where({ email }).first())?.status;
}

describeEachEngine('subscriber administration', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
  });
  after(async () => {
    await t.close();
  });

  it('refuses every admin route without the right bearer token', async () => {
    const routes: [string, string][] = [
      ['get', '/api/admin/subscribers'],
      ['post', '/api/admin/subscribers/import'],
      ['delete', '/api/admin/subscribers/someone@example.com'],
      ['get', '/api/admin/no-such-route'],
    ];
    for (const [method, path] of routes) {
      for (const header of [undefined, 'Bearer wrong-token', `Basic ${ADMIN_TOKEN}`, `Bearer ${ADMIN_TOKEN}x`, 'Bearer']) {
        const req = (request(t.app) as unknown as Record<string, (p: string) => request.Test>)[method](path);
        if (header) req.set('Authorization', header);
        const r = await req;
        assert.equal(r.status, 401, `${method} ${path} with ${header}`);
        assert.equal(r.body.error.code, 'unauthorized');
      }
    }
  });

  it('imports a CSV list as pending: good rows added and mailed, bad rows reported by line', async () => {
    await t.admin('post', '/api/admin/subscribers/import?status=confirmed&consentNote=seed').send({
      subscribers: [{ email: 'left@example.com' }, { email: 'erased@example.com' }, { email: 'known@example.com', topics: ['banking'] }],
    }).expect(200);
    await t.db('subscribers').where({ email: 'left@example.com' }).update({ status: 'unsubscribed' });
    await t.admin('delete', '/api/admin/subscribers/erased@example.com').expect(204);

    const csv = [
      'email,name,topics',
      'alice@example.com,Alice,finance;banking',
      'not-an-address,Nobody,finance',
      'bob@example.com,Bob,',
      'ALICE@example.com,Alice again,finance',
      'carol@example.com,Carol,astrology',
      'left@example.com,Left,finance',
      'erased@example.com,Erased,finance',
      'known@example.com,Known,fintech',
      '"dave@example.com","Dave ""The Saver""",investing',
    ].join('\n');
    const r = await t.admin('post', '/api/admin/subscribers/import?status=pending').set('Content-Type', 'text/csv').send(csv).expect(200);
    assert.equal(r.body.added, 3);
    assert.equal(r.body.updated, 1);
    assert.deepEqual(
      r.body.skipped.map((s: { line: number; reason: string }) => [s.line, s.reason.split(':')[0]]),
      [[3, 'invalid email'], [5, 'duplicate of line 2'], [6, 'unknown topic'], [7, 'unsubscribed'], [8, 'erased']],
    );
    assert.equal(await statusOf(t, 'alice@example.com'), 'pending');
    assert.equal(await statusOf(t, 'left@example.com'), 'unsubscribed', 'an import never re-subscribes someone who left');
    assert.equal(await statusOf(t, 'erased@example.com'), undefined, 'an import never re-adds an erased person');
    assert.equal(await statusOf(t, 'known@example.com'), 'confirmed');
    const known = await t.admin('get', '/api/admin/subscribers?topic=fintech').expect(200);
    assert.deepEqual(known.body.items.map((s: { email: string }) => s.email), ['known@example.com']);
    assert.deepEqual(known.body.items[0].topics, ['banking', 'fintech']);

    // Each new pending address gets its confirmation email, in the background.
    for (const email of ['alice@example.com', 'bob@example.com', 'dave@example.com']) await t.smtp.waitFor(sentTo(email));
    const [dave] = t.smtp.to('dave@example.com');
    assert.match(dave.text ?? '', /Hello Dave "The Saver"/);
  });

  it('imports JSON as confirmed only with a consent note on record', async () => {
    const list = { subscribers: [{ email: 'eve@example.com', name: 'Eve', topics: ['insurance'] }, { email: 'bad' }, { email: 'frank@example.com' }] };
    const noNote = await t.admin('post', '/api/admin/subscribers/import?status=confirmed').send(list);
    assert.equal(noNote.status, 422);
    assert.ok(noNote.body.error.fields.consentNote);
    assert.equal(await statusOf(t, 'eve@example.com'), undefined, 'a refused import stores nothing');

    const r = await t.admin('post', '/api/admin/subscribers/import?status=confirmed&consentNote=Signed%20up%20at%20FinExpo%202026').send(list).expect(200);
    assert.deepEqual(r.body, { added: 2, updated: 0, skipped: [{ line: 2, reason: r.body.skipped[0].reason }] });
    const eve = await t.db('subscribers').where({ email: 'eve@example.com' }).first();
    assert.equal(eve.status, 'confirmed');
    assert.equal(eve.consent_source, 'import');
    assert.equal(eve.consent_note, 'Signed up at FinExpo 2026');
    await t.flushMail();
    assert.equal(t.smtp.to('eve@example.com').length, 0, 'confirmed imports are not asked to confirm');

    const wrongType = await t.admin('post', '/api/admin/subscribers/import').set('Content-Type', 'text/plain').send('email\nx@example.com');
    assert.equal(wrongType.status, 415);
    const badShape = await t.admin('post', '/api/admin/subscribers/import').send({ people: [] });
    assert.equal(badShape.status, 400);
    const noHeader = await t.admin('post', '/api/admin/subscribers/import').set('Content-Type', 'text/csv').send('x@example.com,X\n');
    assert.equal(noHeader.status, 400);
  });

  it('imports a few thousand rows across chunks in one go', async () => {
    const lines = ['email,name,topics'];
    for (let i = 0; i < 2500; i++) lines.push(`bulk${i}@example.com,Bulk ${i},banking;fintech`);
    lines.push('bulk7@example.com,Repeat,banking');
    const r = await t.admin('post', '/api/admin/subscribers/import?status=confirmed&consentNote=legacy%20list').set('Content-Type', 'text/csv').send(lines.join('\n')).expect(200);
    assert.equal(r.body.added, 2500);
    assert.deepEqual(r.body.skipped, [{ line: 2502, reason: 'duplicate of line 9' }]);
    const [{ n }] = await t.db('subscriber_topics').join('subscribers', 'subscribers.id', 'subscriber_topics.subscriber_id').where('subscribers.email', 'like', 'bulk%').count({ n: '*' });
    assert.equal(Number(n), 5000);
  });

  it('lists subscribers filtered and paginated, and exports formula-safe CSV', async () => {
    await t.admin('post', '/api/admin/subscribers/import?status=confirmed&consentNote=test').send({
      subscribers: [{ email: 'hostile@example.com', name: '=HYPERLINK("http://evil.example","click")', topics: ['insurance'] }],
    }).expect(200);

    const page = await t.admin('get', '/api/admin/subscribers?status=confirmed&topic=insurance&pageSize=1&page=1').expect(200);
    assert.equal(page.body.page, 1);
    assert.equal(page.body.pageSize, 1);
    assert.equal(page.body.items.length, 1);
    assert.ok(page.body.total >= 2);
    const page2 = await t.admin('get', '/api/admin/subscribers?status=confirmed&topic=insurance&pageSize=1&page=2').expect(200);
    assert.notEqual(page2.body.items[0].email, page.body.items[0].email);
    for (const item of [...page.body.items, ...page2.body.items]) {
      assert.equal(item.status, 'confirmed');
      assert.ok(item.topics.includes('insurance'));
    }

    for (const bad of ['pageSize=501', 'page=0', 'status=lost', 'topic=Not%20A%20Slug']) {
      const r = await t.admin('get', `/api/admin/subscribers?${bad}`);
      assert.equal(r.status, 422, bad);
      assert.equal(r.body.error.code, 'validation_failed');
    }

    const csv = await t.admin('get', '/api/admin/subscribers?topic=insurance').set('Accept', 'text/csv').expect(200);
    assert.match(csv.headers['content-type'], /text\/csv/);
    const lines = csv.text.trim().split('\n');
    assert.match(lines[0], /^email,name,status,topics/);
    const hostile = lines.find((l) => l.startsWith('hostile@example.com'));
    assert.ok(hostile);
    assert.match(hostile, /,"'=HYPERLINK\(""http:\/\/evil.example"",""click""\)",/);
    const viaQuery = await t.admin('get', '/api/admin/subscribers?topic=insurance&format=csv').expect(200);
    assert.equal(viaQuery.text, csv.text);
  });

  it('erases a person everywhere but keeps a suppression hash, so no import brings them back', async () => {
    const email = 'gone@example.com';
    await t.agent().post('/api/subscriptions').send({ email, name: 'Gone Person', topics: ['banking'], consent: true }).expect(202);
    await t.smtp.waitFor(sentTo(email));
    await t.admin('delete', `/api/admin/subscribers/${encodeURIComponent('Gone@Example.com')}`).expect(204);

    for (const table of ['subscribers', 'subscriber_topics', 'mail_jobs', 'suppressions']) {
      const rows = await t.db(table).select('*');
      assert.ok(!JSON.stringify(rows).toLowerCase().includes(email), `${table} holds no trace of the address`);
      assert.ok(!JSON.stringify(rows).includes('Gone Person'), `${table} holds no trace of the name`);
    }
    assert.ok(await t.db('suppressions').where({ email_hash: emailHash(email) }).first());

    const again = await t.admin('delete', `/api/admin/subscribers/${email}`);
    assert.equal(again.status, 404);
    const imported = await t.admin('post', '/api/admin/subscribers/import?status=pending').send({ subscribers: [{ email }] }).expect(200);
    assert.deepEqual(imported.body, { added: 0, updated: 0, skipped: [{ line: 1, reason: 'erased' }] });

    // The person may come back on their own, through a new double opt-in.
    await t.agent().post('/api/subscriptions').send({ email, consent: true }).expect(202);
    assert.equal(await statusOf(t, email), 'pending');
  });
});
