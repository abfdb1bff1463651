import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import request from 'supertest';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { createProgramme, entryFields } from './helpers/factories';
import { addArticles, addConfirmedSubscribers } from './helpers/sending';
import { createStaff, signIn } from './helpers/staff';

/** The rows of the page's table under the heading with this id, as text per cell. */
function section(html: string, id: string): string {
  const start = html.indexOf(`id="${id}"`);
  assert.ok(start > 0, `the page has a section ${id}`);
  const end = html.indexOf('</section>', start);
  return html.slice(start, end).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
}

describeEachEngine('the console dashboard', (engine) => {
  let t: TestApp;
  before(async () => {
    // A refused recipient is retried only after a minute, so its send stays in progress while the test looks.
    t = await startTestApp(engine, {}, { retryBaseMs: 60_000 });
    await createStaff(t, 'editor@example.com', 'editor');
    await createStaff(t, 'judge@example.com', 'judge');
  });
  after(async () => {
    await t.close();
  });

  it('says plainly when there is nothing yet', async () => {
    const editor = await signIn(t, 'editor@example.com');
    const page = await editor.get('/admin').expect(200);
    assert.match(page.text, /<h1>Dashboard<\/h1>/);
    assert.match(page.text, /No programme is open for entries/);
    assert.match(page.text, /No digest is sending now/);
    assert.match(page.text, /No subscribers yet/);
    assert.match(page.text, /No digest yet/);
  });

  it('shows open programmes with entries by status, sends in progress, subscribers by status and the last digests', async () => {
    const open = await createProgramme(t, { name: 'Open Awards 2026' });
    await createProgramme(t, {
      name: 'Closed Awards 2020',
      opensAt: new Date(Date.now() - 60 * 86_400_000).toISOString(),
      closesAt: new Date(Date.now() - 30 * 86_400_000).toISOString(),
    });
    for (const organisation of ['Alpha Bank', 'Beta Bank', 'Gamma Bank']) {
      await request(t.app).post(`/api/awards/${open.slug}/entries`).send(entryFields({ organisation })).expect(201);
    }
    const { body: listed } = await t.admin('get', `/api/admin/entries?programme=${open.slug}`).expect(200);
    await t.admin('patch', `/api/admin/entries/${listed.items[0].reference}`).send({ status: 'under_review' }).expect(200);

    await addArticles(t, 'finance', 2);
    await addConfirmedSubscribers(t, [
      { email: 'ada@example.com', topics: ['finance'] },
      { email: 'bo@example.com', topics: ['finance'] },
      { email: 'slow@example.com', topics: ['finance'] },
    ]);
    await request(t.app).post('/api/subscriptions').send({ email: 'pending@example.com', consent: true }).expect(202);
    t.smtp.rejectWith((recipient) => (recipient === 'slow@example.com' ? { code: 421, message: 'Try again later' } : null));
    const { body: digest } = await t.admin('post', '/api/admin/digests').send({ topic: 'finance', subject: 'Markets this morning' }).expect(202);
    const deadline = Date.now() + 20_000;
    for (let state = null; state?.counts.sent !== 2 || state.counts.queued !== 1; await new Promise((r) => setTimeout(r, 50))) {
      assert.ok(Date.now() < deadline, `the send did not reach 2 sent, 1 waiting: ${JSON.stringify(state?.counts)}`);
      state = (await t.admin('get', `/api/admin/digests/${digest.id}`).expect(200)).body;
    }

    const editor = await signIn(t, 'editor@example.com');
    const page = await editor.get('/admin').expect(200);

    const programmes = section(page.text, 'open-programmes');
    assert.match(programmes, /Open Awards 2026/);
    assert.doesNotMatch(programmes, /Closed Awards 2020/, 'only open programmes');
    // Submitted 2, under review 1, the other statuses 0, all 3.
    assert.match(programmes, /Open Awards 2026 .*? 2 submitted in Open Awards 2026 1 under review in Open Awards 2026 0 0 0 0 3 entries/);
    assert.match(page.text, new RegExp(`href="/admin/entries\\?programme=${open.slug}&amp;status=under_review"`));

    const sends = section(page.text, 'sends');
    assert.match(sends, /Markets this morning .* sending .* 2 of 3 sent/);
    assert.match(page.text, new RegExp(`<progress max="3" value="2"`));

    const subscribers = section(page.text, 'subscribers');
    assert.match(subscribers, /1 pending 3 confirmed 0 unsubscribed 0 bounced/);

    const digests = section(page.text, 'digests');
    assert.match(digests, /Markets this morning .* sending 3/);
    assert.match(page.text, new RegExp(`href="/admin/digests/${digest.id}"`));
  });

  it('is for editors and admins: a judge is sent on to their own screen, and gets no dashboard data', async () => {
    const judge = await signIn(t, 'judge@example.com');
    const r = await judge.get('/admin').expect(303);
    assert.doesNotMatch(r.headers.location, /^\/admin$/);
    assert.doesNotMatch(r.text, /Dashboard|subscribers/i);
    await judge.get('/admin/entries').expect(403);
  });
});
