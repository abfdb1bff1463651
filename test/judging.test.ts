import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import request from 'supertest';
import { csrfFrom, startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { createProgramme, entryFields, PDF } from './helpers/factories';
import { createRound, enter, openRound } from './helpers/judging';
import { createStaff, signIn, submitForm } from './helpers/staff';

describeEachEngine('judging rounds and assignment', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
  });
  after(async () => {
    await t.close();
  });

  const enterBank = (slug: string, fields: Record<string, string>) => enter(t, slug, fields);

  it('creates rounds with weighted criteria and refuses bad ones field by field', async () => {
    const programme = await createProgramme(t);
    const created = await t.admin('post', `/api/admin/awards/${programme.slug}/rounds`).send(openRound({ categories: ['best-bank'], blind: true })).expect(201);
    assert.equal(typeof created.body.id, 'number');
    assert.equal(created.body.blind, true);
    assert.deepEqual(created.body.categories, ['best-bank']);
    assert.deepEqual(created.body.criteria.map((c: { name: string; weight: number; min: number; max: number }) => [c.name, c.weight, c.min, c.max]), [['Innovation', 2, 1, 10], ['Impact', 1, 0, 5]]);

    const all = await t.admin('post', `/api/admin/awards/${programme.slug}/rounds`).send(openRound({ name: 'Second' })).expect(201);
    assert.deepEqual(all.body.categories, ['best-bank', 'best-fintech'], 'no categories: all of them');

    const refuse = async (body: Record<string, unknown>, field: string) => {
      const r = await t.admin('post', `/api/admin/awards/${programme.slug}/rounds`).send(body);
      assert.equal(r.status, 422, JSON.stringify(body));
      assert.equal(r.body.error.code, 'validation_failed');
      assert.ok(r.body.error.fields[field], `${field} in ${JSON.stringify(r.body.error.fields)}`);
    };
    await refuse(openRound({ criteria: [{ name: 'A', weight: 0, min: 1, max: 5 }] }), 'criteria');
    await refuse(openRound({ criteria: [{ name: 'A', weight: 1, min: 5, max: 5 }] }), 'criteria');
    await refuse(openRound({ criteria: [] }), 'criteria');
    await refuse(openRound({ criteria: Array.from({ length: 13 }, (_, i) => ({ name: `C${i}`, weight: 1, min: 0, max: 1 })) }), 'criteria');
    await refuse(openRound({ closesAt: new Date(Date.now() - 2 * 3_600_000).toISOString() }), 'closesAt');
    await refuse(openRound({ categories: ['best-bank', 'no-such-category'] }), 'categories');
    assert.equal((await t.admin('post', '/api/admin/awards/no-such-programme/rounds').send(openRound())).status, 404);

    const list = await t.admin('get', `/api/admin/awards/${programme.slug}/rounds`).expect(200);
    assert.deepEqual(list.body.items.map((r: { name: string }) => r.name), ['First round', 'Second']);
    assert.deepEqual(list.body.items[0].progress, { assignments: 0, submitted: 0, conflicts: 0 });
  });

  it('assigns judges balanced, never twice on an entry nor on a declared conflict, and only tops up when run again', async () => {
    const programme = await createProgramme(t);
    const references: string[] = [];
    for (let i = 0; i < 7; i++) references.push(await enterBank(programme.slug, { organisation: `Balance Bank ${i}`, category: i % 2 ? 'best-fintech' : 'best-bank' }));
    const judges = ['j.ada@example.com', 'j.bo@example.com', 'j.cy@example.com', 'j.di@example.com'];
    for (const email of judges) await createStaff(t, email, 'judge');
    await createStaff(t, 'j.editor@example.com', 'editor');
    const round = (await t.admin('post', `/api/admin/awards/${programme.slug}/rounds`).send(openRound()).expect(201)).body;

    const refused = await t.admin('post', `/api/admin/rounds/${round.id}/assignments`).send({ judges: [...judges, 'j.editor@example.com', 'nobody@example.com'] });
    assert.equal(refused.status, 422);
    assert.match(refused.body.error.fields.judges, /j\.editor@example\.com, nobody@example\.com are not active judges/);

    const first = await t.admin('post', `/api/admin/rounds/${round.id}/assignments`).send({ judges }).expect(200);
    assert.equal(first.body.assigned, 21, '7 entries × 3 judges');
    const cards: { entry_id: number; staff_id: number }[] = await t.db('judging_scorecards').where({ round_id: round.id });
    const loads = new Map<number, number>();
    for (const c of cards) loads.set(c.staff_id, (loads.get(c.staff_id) ?? 0) + 1);
    assert.deepEqual([...loads.values()].sort(), [5, 5, 5, 6], 'balanced: loads differ by one at most');
    assert.equal(new Set(cards.map((c) => `${c.entry_id}:${c.staff_id}`)).size, cards.length, 'never the same judge twice on an entry');

    const again = await t.admin('post', `/api/admin/rounds/${round.id}/assignments`).send({ judges }).expect(200);
    assert.equal(again.body.assigned, 0, 'idempotent');
    const topUp = await t.admin('post', `/api/admin/rounds/${round.id}/assignments`).send({ judges, judgesPerEntry: 4 }).expect(200);
    assert.equal(topUp.body.assigned, 7, 'one more judge per entry');

    // The database refuses a second scorecard for the same judge and entry, whoever writes it.
    await assert.rejects(t.db('judging_scorecards').insert({ ...cards[0], id: undefined, status: 'assigned', created_at: new Date(), updated_at: new Date() }));

    // Manual add and remove; a declared conflict keeps the judge off the entry for good.
    const lone = await enterBank(programme.slug, { organisation: 'Late Bank' });
    const added = await t.admin('post', `/api/admin/rounds/${round.id}/assignments/${lone}/j.ada@example.com`).expect(201);
    assert.equal(added.body.judge, 'j.ada@example.com');
    assert.equal((await t.admin('post', `/api/admin/rounds/${round.id}/assignments/${lone}/j.ada@example.com`)).status, 409);
    assert.equal((await t.admin('post', `/api/admin/rounds/${round.id}/assignments/${lone}/j.editor@example.com`)).status, 422);
    await t.admin('delete', `/api/admin/rounds/${round.id}/assignments/${lone}/j.ada@example.com`).expect(204);
    assert.equal((await t.admin('delete', `/api/admin/rounds/${round.id}/assignments/${lone}/j.ada@example.com`)).status, 404);

    const entry = await t.db('entries').where({ reference: lone }).first();
    const bo = await t.db('staff_users').where({ email: 'j.bo@example.com' }).first();
    await t.db('judging_conflicts').insert({ round_id: round.id, entry_id: entry.id, staff_id: bo.id, reason: 'Former employer', created_at: new Date() });
    assert.equal((await t.admin('post', `/api/admin/rounds/${round.id}/assignments/${lone}/j.bo@example.com`)).status, 409);
    await t.admin('post', `/api/admin/rounds/${round.id}/assignments`).send({ judges, judgesPerEntry: 3 }).expect(200);
    const onLone: { staff_id: number }[] = await t.db('judging_scorecards').where({ round_id: round.id, entry_id: entry.id });
    assert.equal(onLone.length, 3);
    assert.ok(!onLone.some((c) => c.staff_id === bo.id), 'the conflicted judge is never assigned');

    const progress = (await t.admin('get', `/api/admin/awards/${programme.slug}/rounds`).expect(200)).body.items[0].progress;
    assert.deepEqual(progress, { assignments: 31, submitted: 0, conflicts: 1 });
  });

  it('shows a judge only their own entries (403 otherwise, documents too), never the contact, and in a blind round not who entered', async () => {
    const programme = await createProgramme(t);
    await createStaff(t, 'seen.judge@example.com', 'judge');
    await createStaff(t, 'other.judge@example.com', 'judge');
    const agent = t.agent();
    const form = await agent.get(`/awards/${programme.slug}/enter`).expect(200);
    const submitted = await agent
      .post(`/awards/${programme.slug}/entries`)
      .field({ ...entryFields({ organisation: 'Visible Bank', nominee: 'Visible Nominee', website: 'https://visible.example' }), _csrf: csrfFrom(form.text) })
      .attach('documents', PDF, { filename: 'evidence.pdf', contentType: 'application/pdf' });
    assert.equal(submitted.status, 303);
    const visible = /entries\/([A-Z0-9]+-\d{5})/.exec(submitted.headers.location)![1];
    const hidden = await enter(t, programme.slug, { organisation: 'Hidden Bank', category: 'best-fintech', nominee: 'Hidden Nominee', website: 'https://hidden.example' });

    const open = await createRound(t, programme.slug, { name: 'Open round', categories: ['best-bank'] });
    const blind = await createRound(t, programme.slug, { name: 'Blind round', categories: ['best-fintech'], blind: true });
    await t.admin('post', `/api/admin/rounds/${open.id}/assignments`).send({ judges: ['seen.judge@example.com'], judgesPerEntry: 1 }).expect(200);
    await t.admin('post', `/api/admin/rounds/${blind.id}/assignments`).send({ judges: ['seen.judge@example.com'], judgesPerEntry: 1 }).expect(200);
    const seen = await signIn(t, 'seen.judge@example.com');
    const other = await signIn(t, 'other.judge@example.com');

    const contact = /Priya Shah|priya@northwind\.example|\+44 20 7946 0000|Head of Communications/;
    const page = await seen.get(`/admin/judging/${open.id}/${visible}`).expect(200);
    assert.match(page.text, /Visible Bank/);
    assert.match(page.text, /Visible Nominee/);
    assert.match(page.text, /word0 word1/, 'the statement');
    assert.doesNotMatch(page.text, contact, 'never the contact’s details');
    const link = /href="(\/admin\/judging\/\d+\/[^"]+\/documents\/[^"]+)"/.exec(page.text)![1];
    const download = await seen.get(link).expect(200);
    assert.match(download.headers['content-disposition'], /attachment; filename="?evidence\.pdf"?/);

    const blindPage = await seen.get(`/admin/judging/${blind.id}/${hidden}`).expect(200);
    assert.match(blindPage.text, /word0 word1/);
    assert.doesNotMatch(blindPage.text, /Hidden Bank|Hidden Nominee|hidden\.example/, 'a blind round hides who entered');
    assert.doesNotMatch(blindPage.text, contact);
    const list = await seen.get('/admin/judging').expect(200);
    assert.match(list.text, /Visible Bank/);
    assert.doesNotMatch(list.text, /Hidden Bank/, 'nor in the list');

    assert.equal((await other.get(`/admin/judging/${open.id}/${visible}`)).status, 403, 'not assigned: 403');
    assert.equal((await other.get(link)).status, 403, 'nor its documents');
    assert.equal((await seen.get(`/admin/judging/${blind.id}/${visible}`)).status, 403, 'assigned in another round only');
    assert.equal((await seen.get(`/admin/judging/${open.id}/NOPE-00001`)).status, 403, 'the same answer for an entry that does not exist');
    assert.equal((await seen.get(`/admin/judging/rounds/${open.id}`)).status, 403, 'the leaderboard is for admins');
    const posted = await submitForm(other, '/admin/judging', `/admin/judging/${open.id}/${visible}`, { action: 'submit' });
    assert.equal(posted.status, 403, 'nor can they score it');
  });

  it('keeps fields an entrant marked not for publication, from the form and the API', async () => {
    const programme = await createProgramme(t);
    const agent = t.agent();
    const form = await agent.get(`/awards/${programme.slug}/enter`).expect(200);
    assert.match(form.text, /name="notForPublication" value="nominee"/);
    const submitted = await agent
      .post(`/awards/${programme.slug}/entries`)
      .field({ ...entryFields({ organisation: 'Private Bank' }), notForPublication: ['nominee', 'website'], _csrf: csrfFrom(form.text) });
    assert.equal(submitted.status, 303);
    const row = await t.db('entries').where({ organisation: 'Private Bank' }).first();
    assert.deepEqual(JSON.parse(row.not_for_publication), ['nominee', 'website']);
    const bad = await request(t.app).post(`/api/awards/${programme.slug}/entries`).send({ ...entryFields({ organisation: 'Odd Bank' }), consent: true, notForPublication: ['organisation'] });
    assert.equal(bad.status, 422);
    assert.ok(bad.body.error.fields.notForPublication);
  });
});
