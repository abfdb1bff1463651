import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import request from 'supertest';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { createProgramme, entryFields } from './helpers/factories';
import { createStaff } from './helpers/staff';

describeEachEngine('programmes in the console and GET /api/admin/awards', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
    await createStaff(t, 'editor@example.com', 'editor');
    await createStaff(t, 'judge@example.com', 'judge');
  });
  after(async () => {
    await t.close();
  });

  it('lists programmes for the console with categories and entry counts by status, paged', async () => {
    const closed = await createProgramme(t, {
      opensAt: new Date(Date.now() - 60 * 86_400_000).toISOString(),
      closesAt: new Date(Date.now() - 30 * 86_400_000).toISOString(),
    });
    const open = await createProgramme(t);
    for (const [category, organisation] of [['best-bank', 'Alpha Bank'], ['best-bank', 'Beta Bank'], ['best-fintech', 'Gamma Pay']]) {
      await request(t.app).post(`/api/awards/${open.slug}/entries`).send(entryFields({ category, organisation })).expect(201);
    }
    const listed = await t.admin('get', `/api/admin/entries?programme=${open.slug}`).expect(200);
    const beta = listed.body.items.find((e: { organisation: string }) => e.organisation === 'Beta Bank');
    await t.admin('patch', `/api/admin/entries/${beta.reference}`).send({ status: 'under_review' }).expect(200);

    const all = await t.admin('get', '/api/admin/awards').expect(200);
    assert.ok(all.body.total >= 2);
    assert.equal(all.body.page, 1);
    assert.equal(all.body.pageSize, 50);
    const slugs = all.body.items.map((p: { slug: string }) => p.slug);
    assert.ok(slugs.indexOf(open.slug) < slugs.indexOf(closed.slug), 'open programmes come first');

    const item = all.body.items.find((p: { slug: string }) => p.slug === open.slug);
    assert.equal(item.open, true);
    assert.deepEqual(item.entries, { submitted: 2, under_review: 1, shortlisted: 0, winner: 0, not_shortlisted: 0, withdrawn: 0, total: 3 });
    const bank = item.categories.find((c: { slug: string }) => c.slug === 'best-bank');
    assert.equal(bank.name, 'Best Bank');
    assert.deepEqual({ submitted: bank.entries.submitted, under_review: bank.entries.under_review, total: bank.entries.total }, { submitted: 1, under_review: 1, total: 2 });
    const fintech = item.categories.find((c: { slug: string }) => c.slug === 'best-fintech');
    assert.equal(fintech.entries.total, 1);
    const empty = all.body.items.find((p: { slug: string }) => p.slug === closed.slug);
    assert.equal(empty.entries.total, 0);

    const second = await t.admin('get', '/api/admin/awards?page=2&pageSize=1').expect(200);
    assert.equal(second.body.items.length, 1);
    assert.equal(second.body.items[0].slug, all.body.items[1].slug);
    assert.equal(second.body.total, all.body.total);

    await request(t.app).get('/api/admin/awards').expect(401);
    await t.admin('get', '/api/admin/awards?pageSize=501').expect(422);
  });
});
