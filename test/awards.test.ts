import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import request from 'supertest';
import { csrfFrom, localPath, startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { countRows, openForm, postEntryForm, uploadedFileCount } from './helpers/entry-form';
import { createProgramme, entryFields, EXE, PDF, PNG, statementOf } from './helpers/factories';
import { linksIn, sentTo } from './helpers/smtp';

describeEachEngine('award entries', (engine) => {
  let t: TestApp;
  let programme: Awaited<ReturnType<typeof createProgramme>>;
  before(async () => {
    t = await startTestApp(engine);
    programme = await createProgramme(t, { code: 'GBFA26' });
  });
  after(async () => {
    await t.close();
  });

  it('takes a whole entry with documents from the form to the receipt and the confirmation email', async () => {
    const agent = t.agent();
    const home = await agent.get('/').expect(200);
    assert.match(home.text, new RegExp(`href="/awards/${programme.slug}/enter"`), 'the home page shows the open call');
    const list = await agent.get('/awards').expect(200);
    assert.match(list.text, new RegExp(`href="/awards/${programme.slug}/enter"`));
    const call = await agent.get(`/awards/${programme.slug}`).expect(200);
    assert.match(call.text, /Best Fintech/);
    assert.match(call.text, /How to enter/);

    const { page, csrf, submissionId } = await openForm(agent, programme.slug, '?category=best-fintech');
    assert.match(page.text, /<option value="best-fintech" selected>/, '?category preselects the category');
    const response = await postEntryForm(agent, programme.slug, { _csrf: csrf, submissionId, ...entryFields({ category: 'best-fintech' }) }, [
      [PDF, 'annual-report.pdf'],
      [PNG, 'team photo.png'],
    ]);
    assert.equal(response.status, 303);
    const receiptPath = response.headers.location;
    assert.match(receiptPath, new RegExp(`^/awards/${programme.slug}/entries/GBFA26-\\d{5}\\?token=`));
    const reference = /entries\/(GBFA26-\d{5})/.exec(receiptPath)![1];

    const receipt = await agent.get(receiptPath).expect(200);
    assert.match(receipt.text, new RegExp(reference));
    assert.match(receipt.text, /Northwind Bank/);
    assert.match(receipt.text, /annual-report.pdf/);

    const [mail] = await t.smtp.waitFor(sentTo('priya@northwind.example'));
    assert.match(mail.subject ?? '', new RegExp(reference));
    assert.match(mail.text ?? '', /Best Fintech/);
    assert.match(mail.text ?? '', /Northwind Bank/);
    assert.match(String(mail.html), /The Payments Team/);
    const link = linksIn(mail).find((l) => l.includes(`/entries/${reference}`));
    assert.ok(link, 'the email links to the receipt');
    const fromEmail = await t.agent().get(localPath(link)).expect(200);
    assert.match(fromEmail.text, new RegExp(reference));

    const stored = await t.admin('get', `/api/admin/entries/${reference}`).expect(200);
    assert.equal(stored.body.status, 'submitted');
    assert.deepEqual(stored.body.documents.map((d: { name: string; contentType: string }) => [d.name, d.contentType]), [
      ['annual-report.pdf', 'application/pdf'],
      ['team photo.png', 'image/png'],
    ]);
    const download = await t.admin('get', stored.body.documents[1].url).expect(200);
    assert.equal(download.headers['content-type'], 'image/png');
    assert.match(download.headers['content-disposition'], /attachment; filename="team photo.png"/);
    assert.deepEqual(Buffer.from(download.body), PNG);
    assert.equal((await request(t.app).get(stored.body.documents[1].url)).status, 401, 'nobody but admins downloads documents');
    assert.match(stored.body.documents[1].url, /^\/api\/admin\/documents\/[A-Za-z0-9_-]{32}$/, 'document URLs are long random keys');
  });

  it('answers 404 for a receipt without its exact token', async () => {
    const { body } = await t.agent().post(`/api/awards/${programme.slug}/entries`).send({ ...entryFields({ organisation: 'Receipt Co' }), consent: true }).expect(201);
    const base = `/awards/${programme.slug}/entries/${body.reference}`;
    assert.equal((await t.agent().get(base)).status, 404);
    assert.equal((await t.agent().get(`${base}?token=forged.token`)).status, 404);
    const [mail] = await t.smtp.waitFor(sentTo('priya@northwind.example') , 2);
    assert.ok(mail);
    const other = linksIn(t.smtp.messages.at(-1)!).find((l) => l.includes('/entries/'))!;
    const token = new URL(other).searchParams.get('token')!;
    assert.equal((await t.agent().get(`${base}?token=${encodeURIComponent(token)}`)).status, 200);
    assert.equal((await t.agent().get(`/awards/${programme.slug}/entries/GBFA26-99999?token=${encodeURIComponent(token)}`)).status, 404);
  });

  it('takes an entry from JSON and answers 201 with its reference', async () => {
    const r = await t.agent().post(`/api/awards/${programme.slug}/entries`).send({ ...entryFields({ organisation: 'Json Capital' }), consent: true }).expect(201);
    assert.match(r.body.reference, /^GBFA26-\d{5}$/);
    assert.equal(r.body.status, 'submitted');
  });

  it('refuses every invalid field, on the API and the form, and stores nothing', async () => {
    const entries = await countRows(t, 'entries');
    const cases: [Record<string, string>, string][] = [
      [{ category: '' }, 'category'],
      [{ category: 'no-such-category' }, 'category'],
      [{ organisation: '' }, 'organisation'],
      [{ organisation: 'Evil\r\nBcc: x@example.com' }, 'organisation'],
      [{ organisation: 'o'.repeat(201) }, 'organisation'],
      [{ country: 'XX' }, 'country'],
      [{ country: 'United Kingdom' }, 'country'],
      [{ website: 'javascript:alert(1)' }, 'website'],
      [{ website: 'northwind.example' }, 'website'],
      [{ contactName: '' }, 'contactName'],
      [{ jobTitle: '' }, 'jobTitle'],
      [{ contactEmail: 'not-an-email' }, 'contactEmail'],
      [{ contactEmail: 'a@b.example\r\nBcc: c@d.example' }, 'contactEmail'],
      [{ contactPhone: 'call me maybe' }, 'contactPhone'],
      [{ statement: statementOf(49) }, 'statement'],
      [{ statement: statementOf(801) }, 'statement'],
      [{ consent: '' }, 'consent'],
    ];
    for (const [override, field] of cases) {
      const body: Record<string, unknown> = { ...entryFields({ organisation: 'Invalid Ltd', ...override }) };
      body.consent = override.consent !== '';
      const api = await t.agent().post(`/api/awards/${programme.slug}/entries`).send(body);
      assert.equal(api.status, 422, `${field}: ${JSON.stringify(override)}`);
      assert.equal(api.body.error.code, 'validation_failed');
      assert.ok(api.body.error.fields[field], `${field} is named, got ${JSON.stringify(api.body.error.fields)}`);

      const agent = t.agent();
      const { csrf, submissionId } = await openForm(agent, programme.slug);
      const form = await postEntryForm(agent, programme.slug, { _csrf: csrf, submissionId, ...entryFields({ organisation: 'Invalid Ltd', ...override }) }, [[PDF, 'kept.pdf']]);
      assert.equal(form.status, 422, `form ${field}`);
      assert.match(form.text, /There is a problem/);
      assert.match(form.text, new RegExp(`id="error-${field}"`), `the message for ${field} sits beside it`);
      if (field !== 'organisation') assert.match(form.text, /value="Invalid Ltd"/, 'values are kept');
      assert.match(form.text, /<span>kept\.pdf<\/span>/, 'the document is held for the form, not to be chosen again');
    }
    assert.equal(await countRows(t, 'entries'), entries);
    assert.equal(await countRows(t, 'entry_documents'), 2, 'only the first test’s documents exist');
    // Each refused form's document is held for it (test/entry-drafts.test.ts), not on any entry.
    assert.equal(await countRows(t, 'held_documents'), cases.length);
    assert.equal(uploadedFileCount(t), 2 + cases.length, 'only held files are kept beside the entries’ own');

    const malformed = await t.agent().post(`/api/awards/${programme.slug}/entries`).set('Content-Type', 'application/json').send('{"category":');
    assert.equal(malformed.status, 400);
    const unknown = await t.agent().post('/api/awards/no-such-programme/entries').send({ ...entryFields(), consent: true });
    assert.equal(unknown.status, 404);
  });

  it('judges documents by their content: a PNG named .pdf is kept as PNG, an executable named .pdf is refused', async () => {
    const agent = t.agent();
    let form = await openForm(agent, programme.slug);
    const png = await postEntryForm(agent, programme.slug, { _csrf: form.csrf, submissionId: form.submissionId, ...entryFields({ organisation: 'Renamed Png Ltd' }) }, [[PNG, 'chart.pdf']]);
    assert.equal(png.status, 303);
    const reference = /entries\/([A-Z0-9]+-\d{5})/.exec(png.headers.location)![1];
    const stored = await t.admin('get', `/api/admin/entries/${reference}`).expect(200);
    assert.equal(stored.body.documents[0].contentType, 'image/png');

    const before = { entries: await countRows(t, 'entries'), files: uploadedFileCount(t) };
    form = await openForm(agent, programme.slug);
    const exe = await postEntryForm(agent, programme.slug, { _csrf: form.csrf, submissionId: form.submissionId, ...entryFields({ organisation: 'Malware Ltd' }) }, [[EXE, 'report.pdf']]);
    assert.equal(exe.status, 422);
    assert.match(exe.text, /id="error-documents">report.pdf is not a PDF, PNG, JPEG or DOCX file/);
    assert.deepEqual({ entries: await countRows(t, 'entries'), files: uploadedFileCount(t) }, before);
  });

  it('answers 413 to a document over 10 MB, and to a fourth document, storing nothing', async () => {
    const before = { entries: await countRows(t, 'entries'), files: uploadedFileCount(t) };
    const agent = t.agent();
    let form = await openForm(agent, programme.slug);
    const big = Buffer.concat([PDF, Buffer.alloc(10 * 1024 * 1024 + 1, 32)]);
    const oversize = await postEntryForm(agent, programme.slug, { _csrf: form.csrf, submissionId: form.submissionId, ...entryFields({ organisation: 'Big Files Ltd' }) }, [[big, 'huge.pdf']]);
    assert.equal(oversize.status, 413);
    assert.match(oversize.text, /at most 10 MB/);
    form = await openForm(agent, programme.slug);
    const four = await postEntryForm(agent, programme.slug, { _csrf: form.csrf, submissionId: form.submissionId, ...entryFields({ organisation: 'Many Files Ltd' }) }, [
      [PDF, 'a.pdf'], [PDF, 'b.pdf'], [PDF, 'c.pdf'], [PDF, 'd.pdf'],
    ]);
    assert.equal(four.status, 413);
    assert.deepEqual({ entries: await countRows(t, 'entries'), files: uploadedFileCount(t) }, before);
  });

  it('gives 50 concurrent submissions 50 distinct references', async () => {
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        t.agent().post(`/api/awards/${programme.slug}/entries`).send({ ...entryFields({ organisation: `Concurrent Bank ${i}` }), consent: true }),
      ),
    );
    assert.deepEqual(responses.map((r) => r.status), Array(50).fill(201));
    const references = new Set(responses.map((r) => r.body.reference));
    assert.equal(references.size, 50);
    for (const reference of references) assert.match(reference, /^GBFA26-\d{5}$/);
  });

  it('refuses a second entry of the same organisation in a category, without naming the first, and never makes two from a double-click', async () => {
    const first = await t.agent().post(`/api/awards/${programme.slug}/entries`).send({ ...entryFields({ organisation: 'Acme  Savings Bank' }), consent: true }).expect(201);
    const again = await t.agent().post(`/api/awards/${programme.slug}/entries`).send({ ...entryFields({ organisation: ' ACME savings   bank ' }), consent: true });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'duplicate_entry');
    assert.doesNotMatch(JSON.stringify(again.body), new RegExp(first.body.reference));
    await t.agent().post(`/api/awards/${programme.slug}/entries`).send({ ...entryFields({ organisation: 'Acme Savings Bank', category: 'best-fintech' }), consent: true }).expect(201);

    const agent = t.agent();
    const form = await openForm(agent, programme.slug);
    const dup = await postEntryForm(agent, programme.slug, { _csrf: form.csrf, submissionId: form.submissionId, ...entryFields({ organisation: 'acme savings bank' }) });
    assert.equal(dup.status, 422);
    assert.match(dup.text, /id="error-organisation">An entry for this organisation in this category has already been received/);
    assert.doesNotMatch(dup.text, new RegExp(first.body.reference));

    const before = await countRows(t, 'entries');
    const fresh = await openForm(agent, programme.slug);
    const fields = { _csrf: fresh.csrf, submissionId: fresh.submissionId, ...entryFields({ organisation: 'Double Click Bank' }) };
    const [one, two] = await Promise.all([postEntryForm(agent, programme.slug, fields, [[PDF, 'x.pdf']]), postEntryForm(agent, programme.slug, fields, [[PDF, 'x.pdf']])]);
    assert.equal(one.status, 303);
    assert.equal(two.status, 303);
    assert.equal(one.headers.location.split('?')[0], two.headers.location.split('?')[0], 'both clicks land on the same receipt');
    const third = await postEntryForm(agent, programme.slug, fields, [[PDF, 'x.pdf']]);
    assert.equal(third.headers.location.split('?')[0], one.headers.location.split('?')[0]);
    assert.equal(await countRows(t, 'entries'), before + 1);
    const reference = /entries\/([A-Z0-9]+-\d{5})/.exec(one.headers.location)![1];
    assert.equal((await t.admin('get', `/api/admin/entries/${reference}`).expect(200)).body.documents.length, 1);
  });

  it('refuses CSRF-less posts and bot posts without storing anything', async () => {
    const before = await countRows(t, 'entries');
    const noCsrf = await postEntryForm(t.agent(), programme.slug, entryFields({ organisation: 'No Token Ltd' }));
    assert.equal(noCsrf.status, 403);
    const agent = t.agent();
    const form = await openForm(agent, programme.slug);
    const bot = await postEntryForm(agent, programme.slug, { _csrf: form.csrf, submissionId: form.submissionId, homepage: 'spam', ...entryFields({ organisation: 'Bot Ltd' }) });
    assert.equal(bot.status, 303);
    const wrongType = await t.agent().post(`/awards/${programme.slug}/entries`).type('form').send(entryFields());
    assert.equal(wrongType.status, 415);
    assert.equal(await countRows(t, 'entries'), before);
  });
});

describeEachEngine('award programmes and deadlines', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
  });
  after(async () => {
    await t.close();
  });

  it('reads a local deadline in the programme’s own time zone, not the server’s', async () => {
    const p = await createProgramme(t, { timeZone: 'Pacific/Auckland', closesAt: '2099-01-15T23:59' });
    // Auckland is on daylight time (UTC+13) in January.
    assert.equal(p.closesAt, '2099-01-15T10:59:00.000Z');
    const page = await t.agent().get(`/awards/${p.slug}`).expect(200);
    assert.match(page.text, /Thursday, 15 January 2099, 23:59 GMT\+13/);
    const api = await t.agent().get('/api/awards').expect(200);
    const listed = api.body.items.find((i: { slug: string }) => i.slug === p.slug);
    assert.deepEqual(
      { open: listed.open, timeZone: listed.timeZone, closesAt: listed.closesAt, categories: listed.categories.length },
      { open: true, timeZone: 'Pacific/Auckland', closesAt: '2099-01-15T10:59:00.000Z', categories: 2 },
    );
  });

  it('shows a notice instead of the form once closed or before opening, and answers a POST with 409', async () => {
    const closed = await createProgramme(t, { opensAt: '2020-01-01T00:00:00Z', closesAt: new Date(Date.now() - 60_000).toISOString() });
    const upcoming = await createProgramme(t, { opensAt: new Date(Date.now() + 86_400_000).toISOString(), closesAt: '2099-01-01T00:00:00Z' });
    for (const [p, words] of [[closed, /closed/], [upcoming, /Entries open on/]] as const) {
      const agent = t.agent();
      const page = await agent.get(`/awards/${p.slug}/enter`).expect(200);
      assert.match(page.text, words);
      assert.doesNotMatch(page.text, /<form method="post" action="\/awards/);
      const api = await t.agent().post(`/api/awards/${p.slug}/entries`).send({ ...entryFields(), consent: true });
      assert.equal(api.status, 409);
      assert.equal(api.body.error.code, 'programme_not_open');
      const home = await agent.get('/newsletter');
      const form = await postEntryForm(agent, p.slug, { _csrf: csrfFrom(home.text), ...entryFields() }, [[PDF, 'late.pdf']]);
      assert.equal(form.status, 409);
    }
    assert.equal(await countRows(t, 'entries'), 0);

    // Extending the deadline opens it again.
    const extended = await t.admin('patch', `/api/admin/awards/${closed.slug}`).send({ closesAt: '2099-12-31T23:59:00Z' }).expect(200);
    assert.equal(extended.body.open, true);
    await t.agent().post(`/api/awards/${closed.slug}/entries`).send({ ...entryFields(), consent: true }).expect(201);
  });

  it('lists open programmes first, and validates programmes at the edge', async () => {
    const api = await t.agent().get('/api/awards').expect(200);
    const states = api.body.items.map((i: { status: string }) => i.status);
    assert.deepEqual(states, [...states].sort((a: string, b: string) => ['open', 'upcoming', 'closed'].indexOf(a) - ['open', 'upcoming', 'closed'].indexOf(b)));

    const bad: [Record<string, unknown>, string][] = [
      [{ timeZone: 'Mars/Olympus' }, 'timeZone'],
      [{ code: 'lower' }, 'code'],
      [{ slug: 'Not A Slug' }, 'slug'],
      [{ categories: [] }, 'categories'],
      [{ opensAt: 'yesterday' }, 'opensAt'],
      [{ opensAt: '2030-01-01T00:00:00Z', closesAt: '2029-01-01T00:00:00Z' }, 'closesAt'],
    ];
    for (const [override, field] of bad) {
      const r = await t.admin('post', '/api/admin/awards').send({
        slug: 'valid-slug', code: 'VALID1', name: 'Valid', description: 'Valid.', opensAt: '2026-01-01T00:00:00Z', closesAt: '2027-01-01T00:00:00Z',
        timeZone: 'Europe/London', categories: [{ slug: 'c', name: 'C', description: 'C.' }], ...override,
      });
      assert.equal(r.status, 422, JSON.stringify(override));
      assert.ok(r.body.error.fields[field], `${field}: ${JSON.stringify(r.body.error)}`);
    }
    const p = await createProgramme(t);
    const clash = await t.admin('post', '/api/admin/awards').send({
      slug: p.slug, code: 'OTHER1', name: 'Clash', description: 'Clash.', opensAt: '2026-01-01T00:00:00Z', closesAt: '2027-01-01T00:00:00Z',
      timeZone: 'Europe/London', categories: [{ slug: 'c', name: 'C', description: 'C.' }],
    });
    assert.equal(clash.status, 409);
    assert.equal((await t.admin('patch', '/api/admin/awards/no-such-programme').send({ name: 'X' })).status, 404);
    assert.equal((await t.admin('patch', `/api/admin/awards/${p.slug}`).send({ colour: 'red' })).status, 422);
  });
});

describeEachEngine('entry review', (engine) => {
  let t: TestApp;
  let programme: Awaited<ReturnType<typeof createProgramme>>;
  before(async () => {
    t = await startTestApp(engine);
    programme = await createProgramme(t, { code: 'REV26' });
  });
  after(async () => {
    await t.close();
  });

  const enter = async (overrides: Record<string, string>) =>
    (await t.agent().post(`/api/awards/${programme.slug}/entries`).send({ ...entryFields(overrides), consent: true }).expect(201)).body.reference as string;

  it('refuses every admin route without the bearer token', async () => {
    const reference = await enter({ organisation: 'Guarded Bank' });
    const routes: [string, string][] = [
      ['post', '/api/admin/awards'],
      ['patch', `/api/admin/awards/${programme.slug}`],
      ['get', '/api/admin/entries'],
      ['get', `/api/admin/entries/${reference}`],
      ['patch', `/api/admin/entries/${reference}`],
      ['get', '/api/admin/documents/some-key'],
    ];
    for (const [method, path] of routes) {
      const r = await (request(t.app) as unknown as Record<string, (p: string) => request.Test>)[method](path).set('Authorization', 'Bearer nope');
      assert.equal(r.status, 401, `${method} ${path}`);
    }
  });

  it('moves an entry along the workflow, refuses impossible moves with 409, and keeps an audit trail', async () => {
    const reference = await enter({ organisation: 'Workflow Bank' });
    const impossible = await t.admin('patch', `/api/admin/entries/${reference}`).send({ status: 'winner' });
    assert.equal(impossible.status, 409);
    assert.equal(impossible.body.error.code, 'invalid_transition');
    for (const [status, note] of [['under_review', 'Panel A'], ['shortlisted', 'Strong results'], ['winner', null]] as const) {
      const r = await t.admin('patch', `/api/admin/entries/${reference}`).send(note ? { status, note } : { status }).expect(200);
      assert.equal(r.body.status, status);
    }
    const final = await t.admin('patch', `/api/admin/entries/${reference}`).send({ status: 'withdrawn' });
    assert.equal(final.status, 409);
    const unknown = await t.admin('patch', `/api/admin/entries/${reference}`).send({ status: 'promoted' });
    assert.equal(unknown.status, 422);
    const missing = await t.admin('patch', '/api/admin/entries/REV26-99999').send({ status: 'under_review' });
    assert.equal(missing.status, 404);

    const entry = await t.admin('get', `/api/admin/entries/${reference}`).expect(200);
    assert.equal(entry.body.status, 'winner');
    assert.deepEqual(
      entry.body.history.map((h: { from: string | null; to: string; note: string | null; at: string }) => [h.from, h.to, h.note, typeof h.at]),
      [
        [null, 'submitted', 'Submitted via api', 'string'],
        ['submitted', 'under_review', 'Panel A', 'string'],
        ['under_review', 'shortlisted', 'Strong results', 'string'],
        ['shortlisted', 'winner', null, 'string'],
      ],
    );
    const withdrawn = await enter({ organisation: 'Withdrawing Bank' });
    await t.admin('patch', `/api/admin/entries/${withdrawn}`).send({ status: 'withdrawn', note: 'Asked by entrant' }).expect(200);
  });

  it('filters, searches and pages the entries, and exports the same filter as formula-safe CSV', async () => {
    await enter({ organisation: '=cmd|"/C calc"!A0', contactName: 'Hostile Person', category: 'best-fintech' });
    await enter({ organisation: 'Searchable Mutual', nominee: 'Green Mortgage Desk', category: 'best-fintech' });
    const byCategory = await t.admin('get', `/api/admin/entries?programme=${programme.slug}&category=best-fintech`).expect(200);
    assert.equal(byCategory.body.total, 2);
    assert.ok(byCategory.body.items.every((e: { category: string }) => e.category === 'best-fintech'));
    const search = await t.admin('get', '/api/admin/entries?q=GREEN%20mortgage').expect(200);
    assert.deepEqual(search.body.items.map((e: { organisation: string }) => e.organisation), ['Searchable Mutual']);
    const byStatus = await t.admin('get', `/api/admin/entries?status=winner`).expect(200);
    assert.deepEqual(byStatus.body.items.map((e: { organisation: string }) => e.organisation), ['Workflow Bank']);
    const paged = await t.admin('get', `/api/admin/entries?programme=${programme.slug}&pageSize=2&page=2`).expect(200);
    assert.equal(paged.body.page, 2);
    assert.equal(paged.body.items.length, 2);
    assert.equal(paged.body.total, 5);
    assert.equal((await t.admin('get', '/api/admin/entries?programme=nope')).status, 422);
    assert.equal((await t.admin('get', '/api/admin/entries?pageSize=1000')).status, 422);

    const csv = await t.admin('get', `/api/admin/entries?programme=${programme.slug}&category=best-fintech`).set('Accept', 'text/csv').expect(200);
    assert.match(csv.headers['content-type'], /text\/csv/);
    const lines = csv.text.trim().split('\n');
    assert.match(lines[0], /^reference,status,programme,category,organisation/);
    assert.equal(lines.filter((l) => /^REV26-/.test(l)).length, 2);
    assert.ok(lines.some((l) => l.includes(`"'=cmd|""/C calc""!A0"`)), 'the formula is neutralised');
  });
});

describeEachEngine('entry rate limit', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine, { PUBLIC_RATE_LIMIT: '2' });
  });
  after(async () => {
    await t.close();
  });

  it('answers 429 past PUBLIC_RATE_LIMIT entry posts a minute from one address, storing nothing', async () => {
    const { slug } = await createProgramme(t);
    for (let i = 0; i < 2; i++) {
      await t.agent().post(`/api/awards/${slug}/entries`).send({ ...entryFields({ organisation: `Limited ${i}` }), consent: true }).expect(201);
    }
    const limited = await t.agent().post(`/api/awards/${slug}/entries`).send({ ...entryFields({ organisation: 'Limited 9' }), consent: true });
    assert.equal(limited.status, 429);
    assert.ok(limited.headers['retry-after']);
    const form = await postEntryForm(t.agent(), slug, entryFields({ organisation: 'Limited 10' }), [[PDF, 'a.pdf']]);
    assert.equal(form.status, 429);
    assert.equal(await countRows(t, 'entries'), 2);
  });
});
