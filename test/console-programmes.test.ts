import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import request from 'supertest';
import { csrfFrom, startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { createProgramme, entryFields } from './helpers/factories';
import { createStaff, signIn, submitForm } from './helpers/staff';

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ');
const valueOf = (html: string, name: string) => new RegExp(`name="${name}" type="[^"]+" value="([^"]*)"`).exec(html)?.[1];


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

  const newYorkForm = {
    slug: 'americas-awards',
    code: 'AMA27',
    name: 'Americas Finance Awards 2027',
    description: 'Recognising the best in American finance.',
    timeZone: 'America/New_York',
    opensAt: '2027-01-05T09:00',
    closesAt: '2027-03-31T23:59',
    statementMinWords: '20',
    statementMaxWords: '500',
    'category-0-slug': 'best-bank',
    'category-0-name': 'Best Bank',
    'category-0-description': 'The best bank in the Americas.',
    'category-1-slug': 'best-broker',
    'category-1-name': 'Best Broker',
    'category-1-description': 'The best broker.',
    'category-1-region': 'North America',
    'category-2-slug': '',
  };

  it('creates a programme whose dates are read in its own time zone, and shows them back the same', async () => {
    const editor = await signIn(t, 'editor@example.com');
    const list = await editor.get('/admin/programmes').expect(200);
    assert.match(list.text, /href="\/admin\/programmes\/new">New programme</);
    const form = await editor.get('/admin/programmes/new').expect(200);
    assert.match(form.text, /<option value="America\/New_York">America\/New_York<\/option>/);

    const created = await submitForm(editor, '/admin/programmes/new', '/admin/programmes', newYorkForm);
    assert.equal(created.status, 303, text(created.text));
    assert.equal(created.headers.location, '/admin/programmes/americas-awards');

    // 09:00 in New York in January is 14:00 UTC (EST); 23:59 on 31 March is 03:59 UTC the next day (EDT).
    const { body } = await request(t.app).get('/api/awards').expect(200);
    const api = body.items.find((p: { slug: string }) => p.slug === 'americas-awards');
    assert.equal(api.opensAt, '2027-01-05T14:00:00.000Z');
    assert.equal(api.closesAt, '2027-04-01T03:59:00.000Z');
    assert.equal(api.timeZone, 'America/New_York');
    assert.deepEqual(api.categories.map((c: { slug: string; region: string | null }) => [c.slug, c.region]), [['best-bank', null], ['best-broker', 'North America']]);

    const edit = await editor.get('/admin/programmes/americas-awards').expect(200);
    assert.match(edit.text, /Americas Finance Awards 2027 created\./, 'a flash says so');
    assert.equal(valueOf(edit.text, 'opensAt'), '2027-01-05T09:00');
    assert.equal(valueOf(edit.text, 'closesAt'), '2027-03-31T23:59');
    assert.match(edit.text, /<option value="America\/New_York" selected>/);
    assert.match(text(edit.text), /Entries close \(America\/New_York\)/, 'the zone is named beside the dates');
    assert.equal(valueOf(edit.text, 'statementMaxWords'), '500');

    const audit = await t.admin('get', '/api/admin/audit?entity=programmes&actor=editor@example.com').expect(200);
    assert.ok(audit.body.items.some((i: { action: string }) => i.action === 'programmes.create'));
  });

  it('edits dates, zone, word limits and categories, and refuses removing a category that has entries', async () => {
    const editor = await signIn(t, 'editor@example.com');
    const page = await editor.get('/admin/programmes/americas-awards').expect(200);
    assert.doesNotMatch(page.text, /name="slug"/, 'the address cannot change');
    const edited = {
      _csrf: csrfFrom(page.text),
      name: 'Americas Finance Awards 2027',
      description: 'Deadline extended.',
      timeZone: 'America/Chicago',
      opensAt: '2027-01-05T09:00',
      closesAt: '2027-04-15T17:00',
      statementMinWords: '30',
      statementMaxWords: '600',
      'category-0-existing': '1', 'category-0-slug': 'best-bank', 'category-0-name': 'Best Bank of the Americas', 'category-0-description': 'The best bank.',
      'category-1-existing': '1', 'category-1-slug': 'best-broker', 'category-1-name': 'Best Broker', 'category-1-description': 'The best broker.', 'category-1-remove': 'on',
      'category-2-slug': 'best-insurer', 'category-2-name': 'Best Insurer', 'category-2-description': 'The best insurer.',
    };
    const saved = await editor.post('/admin/programmes/americas-awards').type('form').send(edited);
    assert.equal(saved.status, 303, text(saved.text));
    const { body } = await request(t.app).get('/api/awards').expect(200);
    const api = body.items.find((p: { slug: string }) => p.slug === 'americas-awards');
    assert.equal(api.closesAt, '2027-04-15T22:00:00.000Z', '17:00 in Chicago (CDT) is 22:00 UTC');
    assert.equal(api.opensAt, '2027-01-05T15:00:00.000Z', 'the same wall time, read in the new zone');
    assert.equal(api.description, 'Deadline extended.');
    assert.deepEqual(api.statementWords, { min: 30, max: 600 });
    assert.deepEqual(api.categories.map((c: { slug: string; name: string }) => [c.slug, c.name]), [['best-bank', 'Best Bank of the Americas'], ['best-insurer', 'Best Insurer']]);
    const back = await editor.get('/admin/programmes/americas-awards').expect(200);
    assert.equal(valueOf(back.text, 'closesAt'), '2027-04-15T17:00');

    // A category with an entry stays.
    const open = await createProgramme(t);
    await request(t.app).post(`/api/awards/${open.slug}/entries`).send(entryFields({ category: 'best-fintech' })).expect(201);
    const form = await editor.get(`/admin/programmes/${open.slug}`).expect(200);
    const refused = await editor.post(`/admin/programmes/${open.slug}`).type('form').send({
      _csrf: csrfFrom(form.text), name: 'Renamed', description: 'Awards for testing.', timeZone: 'Europe/London',
      opensAt: valueOf(form.text, 'opensAt'), closesAt: valueOf(form.text, 'closesAt'), statementMinWords: '50', statementMaxWords: '800',
      'category-0-existing': '1', 'category-0-slug': 'best-bank', 'category-0-name': 'Best Bank', 'category-0-description': 'The best bank.',
      'category-1-existing': '1', 'category-1-slug': 'best-fintech', 'category-1-name': 'Best Fintech', 'category-1-description': 'The best fintech.', 'category-1-remove': 'on',
    });
    assert.equal(refused.status, 409);
    assert.match(text(refused.text), /A category that already has entries cannot be removed/);
    assert.match(refused.text, /name="name" type="text" value="Renamed"/, 'values are kept');
    const still = await t.admin('get', '/api/admin/awards').expect(200);
    const kept = still.body.items.find((p: { slug: string }) => p.slug === open.slug);
    assert.equal(kept.categories.length, 2);
    assert.notEqual(kept.name, 'Renamed', 'nothing was half-saved');
  });

  it('answers 422 with each message beside its field, values kept; a taken slug is refused beside it', async () => {
    const editor = await signIn(t, 'editor@example.com');
    const bad = await submitForm(editor, '/admin/programmes/new', '/admin/programmes', {
      ...newYorkForm,
      slug: 'Not A Slug',
      name: '',
      opensAt: '',
      statementMinWords: 'many',
      timeZone: 'Mars/Olympus_Mons',
      'category-1-description': '',
    });
    assert.equal(bad.status, 422);
    const errorOf = (field: string) => new RegExp(`id="error-${field}">([^<]+)<`).exec(bad.text)?.[1];
    assert.equal(errorOf('slug'), 'Use lower-case letters, digits and hyphens.');
    assert.equal(errorOf('name'), 'Enter the programme name.');
    assert.equal(errorOf('opensAt'), 'Enter the date and time entries open.');
    assert.equal(errorOf('statementMinWords'), 'A whole number of words.');
    assert.equal(errorOf('timeZone'), 'Give an IANA time zone such as Europe/London.');
    assert.equal(errorOf('category-1-description'), 'Give the category a description.');
    assert.match(bad.text, /href="#field-category-1-description"/, 'the summary links to the row');
    assert.equal(valueOf(bad.text, 'code'), 'AMA27');
    assert.equal(valueOf(bad.text, 'closesAt'), '2027-03-31T23:59');
    assert.equal(valueOf(bad.text, 'category-1-region'), 'North America');

    const taken = await submitForm(editor, '/admin/programmes/new', '/admin/programmes', { ...newYorkForm, code: 'OTHER27' });
    assert.equal(taken.status, 409);
    assert.match(taken.text, /id="error-slug">A programme with this slug or code already exists\./);
    const reserved = await submitForm(editor, '/admin/programmes/new', '/admin/programmes', { ...newYorkForm, slug: 'new', code: 'NEW27' });
    assert.equal(reserved.status, 422);
    await editor.get('/admin/programmes/no-such-programme').expect(404);
  });

  it('refuses judges', async () => {
    const judge = await signIn(t, 'judge@example.com');
    await judge.get('/admin/programmes').expect(403);
    await judge.get('/admin/programmes/new').expect(403);
    await judge.get('/admin/programmes/americas-awards').expect(403);
    const page = await judge.get('/admin/account').expect(200);
    const post = await judge.post('/admin/programmes/americas-awards').type('form').send({ _csrf: csrfFrom(page.text), ...newYorkForm, name: 'Judged' });
    assert.equal(post.status, 403);
  });
});
