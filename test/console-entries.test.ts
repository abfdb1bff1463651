import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import request from 'supertest';
import { csrfFrom, startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { createProgramme, entryFields, PDF } from './helpers/factories';
import { createStaff, signIn, submitForm, type Agent } from './helpers/staff';

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/\s+/g, ' ');
const references = (html: string) => [...html.matchAll(/name="references" value="([^"]+)"/g)].map((m) => m[1]);

/** The flash message on the page a redirect leads to. */
async function flashAfter(agent: Agent, response: request.Response) {
  assert.equal(response.status, 303, response.text);
  const page = await agent.get(response.headers.location).expect(200);
  return text(/<div class="flash[^"]*" role="status">([\s\S]*?)<\/div>/.exec(page.text)?.[1] ?? '').trim();
}

describeEachEngine('entries in the console', (engine) => {
  let t: TestApp;
  let programme: Awaited<ReturnType<typeof createProgramme>>;
  let other: Awaited<ReturnType<typeof createProgramme>>;
  const refs: Record<string, string> = {};

  before(async () => {
    t = await startTestApp(engine);
    await createStaff(t, 'editor@example.com', 'editor');
    await createStaff(t, 'judge@example.com', 'judge');
    programme = await createProgramme(t);
    other = await createProgramme(t);
    const entries: [string, string, string][] = [
      [programme.slug, 'best-bank', 'Alpha Bank'],
      [programme.slug, 'best-bank', 'Beta Bank'],
      [programme.slug, 'best-fintech', 'Gamma Pay'],
      [programme.slug, 'best-fintech', 'Delta Pay'],
      [other.slug, 'best-bank', 'Alpha Bank'],
    ];
    for (const [slug, category, organisation] of entries) {
      const r = await request(t.app).post(`/api/awards/${slug}/entries`).send(entryFields({ category, organisation, contactEmail: `${organisation.split(' ')[0].toLowerCase()}@example.com` })).expect(201);
      refs[`${slug === other.slug ? 'other ' : ''}${organisation}`] = r.body.reference;
    }
  });
  after(async () => {
    await t.close();
  });

  it('lists entries with filters by programme, category, status and text, a page at a time', async () => {
    const editor = await signIn(t, 'editor@example.com');
    const all = await editor.get('/admin/entries').expect(200);
    assert.match(all.text, /<h1>Entries<\/h1>/);
    assert.match(all.text, /<a href="\/admin\/entries" aria-current="page">Entries<\/a>/);
    assert.equal(references(all.text).length, 5);

    const inProgramme = await editor.get(`/admin/entries?programme=${programme.slug}`).expect(200);
    assert.deepEqual(references(inProgramme.text).sort(), [refs['Alpha Bank'], refs['Beta Bank'], refs['Gamma Pay'], refs['Delta Pay']].sort());
    assert.match(inProgramme.text, /<option value="best-fintech">Best Fintech<\/option>/, 'the chosen programme’s categories are offered');

    const fintech = await editor.get(`/admin/entries?programme=${programme.slug}&category=best-fintech`).expect(200);
    assert.deepEqual(references(fintech.text).sort(), [refs['Gamma Pay'], refs['Delta Pay']].sort());

    const searched = await editor.get(`/admin/entries?q=alpha`).expect(200);
    assert.deepEqual(references(searched.text).sort(), [refs['Alpha Bank'], refs['other Alpha Bank']].sort());

    const paged = await editor.get(`/admin/entries?programme=${programme.slug}&pageSize=3&page=2`).expect(200);
    assert.equal(references(paged.text).length, 1);
    assert.match(text(paged.text), /4 entries, page 2 of 2/);
    assert.match(paged.text, new RegExp(`href="\\?programme=${programme.slug}&amp;pageSize=3&amp;page=1" rel="prev"`));

    // As the filter form sends it: every field, the unused ones empty.
    const asSent = await editor.get(`/admin/entries?programme=${programme.slug}&category=&status=&q=`).expect(200);
    assert.equal(references(asSent.text).length, 4);

    const none = await editor.get('/admin/entries?status=winner').expect(200);
    assert.match(none.text, /No entries match these filters/);

    const bad = await editor.get('/admin/entries?category=best-bank').expect(422);
    assert.match(text(bad.text), /Filter by category together with its programme/);
    await editor.get('/admin/entries?programme=no-such-programme').expect(422);
  });

  it('exports the filtered list as CSV with the API’s columns', async () => {
    const editor = await signIn(t, 'editor@example.com');
    const page = await editor.get(`/admin/entries?programme=${programme.slug}&category=best-fintech`).expect(200);
    const link = /<a href="([^"]+format=csv)"/.exec(page.text)?.[1]?.replace(/&amp;/g, '&');
    assert.equal(link, `/admin/entries?programme=${programme.slug}&category=best-fintech&format=csv`);
    const csv = await editor.get(link!).expect(200);
    assert.match(csv.headers['content-type'], /^text\/csv/);
    assert.match(csv.headers['content-disposition'], /attachment; filename="?entries.csv"?/);
    const lines = csv.text.trim().split('\n');
    assert.equal(lines[0], 'reference,status,programme,category,organisation,nominee,country,website,contact_name,job_title,contact_email,contact_phone,statement,created_at');
    assert.equal(lines.length, 3);
    assert.ok(lines.some((l) => l.startsWith(`${refs['Gamma Pay']},submitted,${programme.slug},best-fintech,Gamma Pay,`)));
    const api = await t.admin('get', `/api/admin/entries?programme=${programme.slug}&category=best-fintech&format=csv`).expect(200);
    assert.equal(csv.text, api.text, 'the same file as the API gives');
  });

  it('moves several entries at once, each through the status rules, recording who did it', async () => {
    await t.admin('patch', `/api/admin/entries/${refs['other Alpha Bank']}`).send({ status: 'withdrawn' }).expect(200);
    const editor = await signIn(t, 'editor@example.com');
    const chosen = [refs['Alpha Bank'], refs['Beta Bank'], refs['other Alpha Bank']];
    const moved = await submitForm(editor, '/admin/entries?q=bank', '/admin/entries/bulk', { references: chosen, status: 'under_review', note: 'First sift', back: 'q=bank' });
    assert.equal(moved.headers.location, '/admin/entries?q=bank', 'back to the same list');
    const flash = await flashAfter(editor, moved);
    assert.equal(flash, `Moved 2 entries to under review. Not moved: ${refs['other Alpha Bank']} (an entry that is withdrawn cannot become under_review).`);

    for (const reference of [refs['Alpha Bank'], refs['Beta Bank']]) {
      const { body } = await t.admin('get', `/api/admin/entries/${reference}`).expect(200);
      assert.equal(body.status, 'under_review');
      assert.deepEqual(body.history.at(-1), { ...body.history.at(-1), from: 'submitted', to: 'under_review', note: 'First sift', by: 'editor@example.com' });
    }
    assert.equal((await t.admin('get', `/api/admin/entries/${refs['other Alpha Bank']}`)).body.status, 'withdrawn');

    const audit = await t.admin('get', '/api/admin/audit?entity=entries&actor=editor@example.com').expect(200);
    const lines = audit.body.items.filter((i: { action: string }) => i.action === 'entries.status');
    assert.deepEqual(lines.map((i: { entityId: string }) => i.entityId).sort(), [refs['Alpha Bank'], refs['Beta Bank']].sort(), 'one audit line per entry moved');

    const nothing = await submitForm(editor, '/admin/entries', '/admin/entries/bulk', { status: 'under_review' });
    assert.equal(await flashAfter(editor, nothing), 'Tick at least one entry.');
    const noStatus = await submitForm(editor, '/admin/entries', '/admin/entries/bulk', { references: refs['Gamma Pay'], status: '' });
    assert.equal(await flashAfter(editor, noStatus), 'Choose the new status.');
  });

  it('shows an entry with its documents and audit trail, and changes its status with a note', async () => {
    // An entry with a document, through the public form.
    const entrant = t.agent();
    const form = await entrant.get(`/awards/${programme.slug}/enter`).expect(200);
    const submissionId = /name="submissionId" value="([a-f0-9]+)"/.exec(form.text)![1];
    const post = entrant.post(`/awards/${programme.slug}/entries`);
    for (const [name, value] of Object.entries({ _csrf: csrfFrom(form.text), submissionId, ...entryFields({ organisation: 'Epsilon Bank' }) })) post.field(name, value);
    const submitted = await post.attach('documents', PDF, 'annual report.pdf').expect(303);
    const reference = /\/entries\/([A-Z0-9-]+)\?/.exec(submitted.headers.location)![1];

    const editor = await signIn(t, 'editor@example.com');
    const page = await editor.get(`/admin/entries/${reference}`).expect(200);
    const body = text(page.text);
    for (const value of ['Epsilon Bank', 'The Payments Team', 'Best Bank', 'Priya Shah', 'Head of Communications', 'priya@northwind.example', '+44 20 7946 0000', 'https://northwind.example', 'word59']) {
      assert.ok(body.includes(value), `the page shows ${value}`);
    }
    assert.match(body, /submitted the entrant Submitted via form/);
    const download = /href="(\/admin\/entries\/[^"]+\/documents\/[^"]+)" download>annual report\.pdf/.exec(page.text)?.[1];
    assert.ok(download, 'a download link for the document');
    const file = await editor.get(download).expect(200);
    assert.match(file.headers['content-disposition'], /attachment; filename="annual report.pdf"/);
    assert.equal(file.headers['cache-control'], 'private, no-store');
    await request(t.app).get(download).expect(303); // no session: the sign-in page
    const key = download.split('/').at(-1);
    await editor.get(`/admin/entries/${refs['Beta Bank']}/documents/${key}`).expect(404); // another entry's address

    const changed = await submitForm(editor, `/admin/entries/${reference}`, `/admin/entries/${reference}/status`, { status: 'under_review', note: 'Strong numbers' });
    assert.equal(changed.headers.location, `/admin/entries/${reference}`);
    assert.equal(await flashAfter(editor, changed), `Entry ${reference} moved to under review.`);
    const after = text((await editor.get(`/admin/entries/${reference}`).expect(200)).text);
    assert.match(after, /submitted under review editor@example\.com Strong numbers/);

    const invalid = await submitForm(editor, `/admin/entries/${reference}`, `/admin/entries/${reference}/status`, { status: 'submitted', note: 'Back' });
    assert.equal(invalid.status, 409);
    assert.match(text(invalid.text), /An entry that is under_review cannot become submitted/);
    assert.match(invalid.text, /<textarea[^>]*>Back<\/textarea>/, 'the note is kept');
    const unknown = await submitForm(editor, `/admin/entries/${reference}`, `/admin/entries/${reference}/status`, { status: 'promoted' });
    assert.equal(unknown.status, 422);
    await editor.get('/admin/entries/NOPE-00001').expect(404);
  });

  it('refuses judges everywhere on this screen', async () => {
    const judge = await signIn(t, 'judge@example.com');
    await judge.get('/admin/entries').expect(403);
    await judge.get(`/admin/entries/${refs['Gamma Pay']}`).expect(403);
    await judge.get('/admin/entries?format=csv').expect(403);
    const page = await judge.get('/admin/account').expect(200);
    assert.doesNotMatch(page.text, /href="\/admin\/entries"/, 'the navigation does not offer it');
    const post = await judge.post('/admin/entries/bulk').type('form').send({ _csrf: csrfFrom(page.text), references: refs['Gamma Pay'], status: 'under_review' });
    assert.equal(post.status, 403);
    assert.equal((await t.admin('get', `/api/admin/entries/${refs['Gamma Pay']}`)).body.status, 'submitted');
  });
});
