import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';

/** Issue 13: an import that would email more than 100 people asks first. */
describeEachEngine('imports that email people', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
  });
  after(async () => {
    await t.close();
  });

  const csv = (n: number, prefix: string) => 'email,name,topics\n' + Array.from({ length: n }, (_, i) => `${prefix}${i}@example.com,,finance`).join('\n');
  const count = async () => Number((await t.db('subscribers').count({ n: '*' }).first())?.n);

  it('a pending import of more than 100 rows needs &confirm=yes; without it nothing is stored or mailed', async () => {
    const refused = await t.admin('post', '/api/admin/subscribers/import?status=pending').set('Content-Type', 'text/csv').send(csv(101, 'big'));
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'confirmation_required');
    assert.match(refused.body.error.message, /confirm=yes/);
    assert.equal(await count(), 0);
    await t.flushMail();
    assert.equal(t.smtp.messages.length, 0, 'nobody was emailed');

    const confirmed = await t.admin('post', '/api/admin/subscribers/import?status=pending&confirm=yes').set('Content-Type', 'text/csv').send(csv(101, 'big'));
    assert.equal(confirmed.status, 200);
    assert.equal(confirmed.body.added, 101);
  });

  it('100 rows, or a confirmed list with its consent note, need no extra step; a bad confirm value is refused', async () => {
    await t.admin('post', '/api/admin/subscribers/import?status=pending').set('Content-Type', 'text/csv').send(csv(100, 'small')).expect(200);
    await t.admin('post', '/api/admin/subscribers/import?status=confirmed&consentNote=migrated%202026').set('Content-Type', 'text/csv').send(csv(150, 'migrated')).expect(200);
    const bad = await t.admin('post', '/api/admin/subscribers/import?status=pending&confirm=true').set('Content-Type', 'text/csv').send(csv(2, 'x'));
    assert.equal(bad.status, 422);
    const typo = await t.admin('post', '/api/admin/subscribers/import?stauts=confirmed').set('Content-Type', 'text/csv').send(csv(2, 'y'));
    assert.equal(typo.status, 400, 'a mistyped option is refused, not read as the default');
  });
});
