import assert from 'node:assert/strict';
import { after, before, beforeEach, it } from 'node:test';
import request from 'supertest';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { csrfFrom, localPath, startTestApp, type TestApp } from './helpers/app';
import { createTestDatabase } from './helpers/database';
import { describeEachEngine } from './helpers/engines';
import { countRows, openForm, postEntryForm, uploadedFileCount } from './helpers/entry-form';
import { createProgramme, entryFields, PDF, statementOf } from './helpers/factories';
import { linksIn, sentTo } from './helpers/smtp';

/** Issue 9: what hostile or careless input must not do to entries and subscriptions. */

const DUPLICATE = 'An entry for this organisation in this category has already been received; if you think this is wrong, contact us.';

describeEachEngine('hardening: duplicate entries', (engine) => {
  let t: TestApp;
  let programme: Awaited<ReturnType<typeof createProgramme>>;
  before(async () => {
    t = await startTestApp(engine);
    programme = await createProgramme(t, { code: 'DUPE26' });
  });
  after(async () => {
    await t.close();
  });
  beforeEach(() => {
    t.smtp.messages.length = 0;
  });

  const rival = { contactName: 'Mallory Rival', contactEmail: 'mallory@rival.example', jobTitle: 'Competitive Intelligence', contactPhone: '+44 20 7000 1111', website: 'https://rival.example' };

  it('refuses a second entry without its reference or who entered, stores nothing, and tells the first entry’s contact', async () => {
    const first = await t.agent().post(`/api/awards/${programme.slug}/entries`).send({ ...entryFields({ organisation: 'Harbour Trust Bank' }), consent: true }).expect(201);
    await t.smtp.waitFor(sentTo('priya@northwind.example'));
    t.smtp.messages.length = 0;
    const before = { entries: await countRows(t, 'entries'), documents: await countRows(t, 'entry_documents'), files: uploadedFileCount(t) };

    const api = await t.agent().post(`/api/awards/${programme.slug}/entries`).send({ ...entryFields({ organisation: 'harbour  TRUST bank', ...rival }), consent: true });
    assert.equal(api.status, 409);
    assert.deepEqual(api.body, { error: { code: 'duplicate_entry', message: DUPLICATE, fields: { organisation: DUPLICATE } } });

    const agent = t.agent();
    const form = await openForm(agent, programme.slug);
    const page = await postEntryForm(agent, programme.slug, { _csrf: form.csrf, submissionId: form.submissionId, ...entryFields({ organisation: 'Harbour Trust Bank', ...rival }) }, [[PDF, 'ours.pdf']]);
    assert.equal(page.status, 422);
    assert.match(page.text, /id="error-organisation">An entry for this organisation in this category has already been received; if you think this is wrong, contact us.</);
    for (const leak of [first.body.reference, 'Priya', 'northwind', 'Head of Communications']) {
      assert.ok(!JSON.stringify(api.body).includes(leak), `the JSON answer does not show ${leak}`);
      assert.ok(!page.text.includes(leak), `the page does not show ${leak}`);
    }
    // The refused form's document is held for it (so a corrected form keeps it), on no entry.
    assert.match(page.text, /<span>ours\.pdf<\/span>/);
    assert.deepEqual({ entries: await countRows(t, 'entries'), documents: await countRows(t, 'entry_documents'), files: uploadedFileCount(t) }, { ...before, files: before.files + 1 });

    // One notice to the first contact, however many attempts: at most one an hour per entry.
    const [notice] = await t.smtp.waitFor(sentTo('priya@northwind.example'));
    await t.flushMail();
    assert.equal(t.smtp.to('priya@northwind.example').length, 1);
    assert.equal(t.smtp.to(rival.contactEmail).length, 0, 'the person who tried is not mailed');
    assert.match(notice.subject ?? '', /Another entry was attempted for Harbour Trust Bank/);
    assert.match(notice.text ?? '', /someone tried to submit another entry for Harbour Trust Bank in the category Best Bank/);
    assert.match(notice.text ?? '', new RegExp(`Your entry ${first.body.reference} is unchanged`));
    assert.match(notice.text ?? '', /On \w+day, \d{1,2} \w+ \d{4}, \d{2}:\d{2}/, 'says when');
    assert.ok(String(notice.html).includes('Another entry was attempted'), 'has the MJML part');
    for (const leak of ['Mallory', 'rival', 'Competitive Intelligence', '7000 1111', 'ours.pdf']) {
      assert.ok(!(notice.text ?? '').includes(leak) && !String(notice.html).includes(leak), `the notice holds nothing of the second person (${leak})`);
    }
    const receipt = linksIn(notice).find((l) => l.includes(`/entries/${first.body.reference}`));
    assert.ok(receipt, 'the notice links to the first entry’s receipt');
    await t.agent().get(localPath(receipt)).expect(200);
  });
});

describeEachEngine('hardening: organisation keys', (engine) => {
  let t: TestApp;
  let programme: Awaited<ReturnType<typeof createProgramme>>;
  before(async () => {
    t = await startTestApp(engine);
    programme = await createProgramme(t, { code: 'KEYS26' });
  });
  after(async () => {
    await t.close();
  });

  const enter = (organisation: string) =>
    t.agent().post(`/api/awards/${programme.slug}/entries`).send({ ...entryFields({ organisation }), consent: true });

  it('counts invisible characters, fullwidth forms, decomposed accents, bidi controls and case as the same organisation', async () => {
    const pairs: [string, string][] = [
      ['AcmeBank', 'Acme\u200bBank'],
      ['Acme', 'Ａｃｍｅ'],
      ['Café Capital', 'Cafe\u0301 Capital'],
      ['Orbit Pay', 'Or\u00adbit\u2060 Pay\ufeff'],
      ['Lantern Fund', '\u202aLANTERN\u202c\u2066 fund\u2069'],
      ['Grosse Strasse Bank', 'Große Straße Bank'],
      ['Tide  Mutual', 'Tide\u3000\u200d\u00a0Mutual'],
    ];
    for (const [first, second] of pairs) {
      await enter(first).expect(201);
      const again = await enter(second);
      assert.equal(again.status, 409, `${JSON.stringify(second)} is a duplicate of ${JSON.stringify(first)}`);
      assert.equal(again.body.error.code, 'duplicate_entry');
    }
    await enter('Acme Bank Two').expect(201); // different names still enter
    await enter('Cafe Capital').expect(201); // an accent is not invisible: Cafe is not Café
  });
});

describeEachEngine('hardening: the organisation key migration', (engine) => {
  it('recomputes the keys of entries stored before it, keeping every entry and the oldest on the plain key', async () => {
    const database = await createTestDatabase(engine, { migrate: false });
    const { db } = database;
    try {
      const MIGRATION = '20261201120000_organisation_keys';
      for (;;) {
        const [, pending] = (await db.migrate.list()) as [unknown, string[]];
        if (!pending.length || pending[0].replace(/\.(ts|js)$/, '') >= MIGRATION) break;
        await db.migrate.up();
      }
      const now = new Date();
      const [programmeId] = (await db('programmes')
        .insert({ slug: 'old', code: 'OLD26', name: 'Old', description: 'Old.', opens_at: now, closes_at: now, time_zone: 'UTC', statement_min_words: 1, statement_max_words: 900, entry_sequence: 0, created_at: now, updated_at: now })
        .returning('id')).map((r: { id: number } | number) => (typeof r === 'object' ? r.id : r));
      const [categoryId] = (await db('categories').insert({ programme_id: programmeId, slug: 'c', name: 'C', description: 'C.', position: 0 }).returning('id')).map(
        (r: { id: number } | number) => (typeof r === 'object' ? r.id : r),
      );
      const oldKey = (name: string) => name.toLowerCase().replace(/\s+/g, ' ').trim(); // the rule before issue 9
      const names = ['AcmeBank', 'Acme\u200bBank', 'ＡＣＭＥ  Savings', 'Ｚeta', 'zeta'];
      for (const [i, organisation] of names.entries()) {
        await db('entries').insert({
          programme_id: programmeId, category_id: categoryId, reference: `OLD26-0000${i + 1}`, status: 'submitted', organisation, organisation_key: oldKey(organisation),
          country: 'GB', website: 'https://x.example', contact_name: 'X', job_title: 'X', contact_email: 'x@x.example', statement: 'x', source: 'api',
          receipt_nonce: `n${i}`, consent_at: now, created_at: now, updated_at: now,
        });
      }
      await db.migrate.latest();
      const keys = (await db('entries').orderBy('id').select('id', 'organisation_key')).map((r: { id: number; organisation_key: string }) => r.organisation_key);
      const ids = (await db('entries').orderBy('id').select('id')).map((r: { id: number }) => r.id);
      assert.deepEqual(keys, ['acmebank', `acmebank#${ids[1]}`, 'acme savings', 'zeta', `zeta#${ids[4]}`]);
    } finally {
      await database.destroy();
    }
  });
});

describeEachEngine('hardening: email addresses and names', (engine) => {
  let t: TestApp;
  let programme: Awaited<ReturnType<typeof createProgramme>>;
  before(async () => {
    t = await startTestApp(engine);
    programme = await createProgramme(t, { code: 'MAIL26' });
  });
  after(async () => {
    await t.close();
  });
  beforeEach(() => {
    t.smtp.messages.length = 0;
  });

  const hostile: [string, string][] = [
    ['zero-width space', 'ann\u200b@example.com'],
    ['right-to-left override', 'moc.elpmaxe@\u202eann'],
    ['isolate', 'ann\u2066@example.com'],
    ['byte order mark', '\ufeffann@example.com'],
    ['replacement character', '\ufffd\ufffd@example.com'],
    ['lone surrogate', 'ann\ud800@example.com'],
    ['C1 control', 'ann\u0085@example.com'],
    ['left-to-right mark', 'ann@exam\u200eple.com'],
  ];

  it('refuses addresses with format, bidi, replacement, surrogate or control characters on every way in, storing nothing', async () => {
    for (const [what, email] of hostile) {
      const api = await t.agent().post('/api/subscriptions').send({ email, consent: true });
      assert.equal(api.status, 422, what);
      assert.equal(api.body.error.code, 'validation_failed');
      assert.ok(api.body.error.fields.email, `${what}: the email field is named`);

      const entry = await t.agent().post(`/api/awards/${programme.slug}/entries`).send({ ...entryFields({ organisation: `Hostile ${what}`, contactEmail: email }), consent: true });
      assert.equal(entry.status, 422, `entry ${what}`);
      assert.ok(entry.body.error.fields.contactEmail, `${what}: contactEmail is named`);
    }
    const agent = t.agent();
    const page = await agent.get('/newsletter').expect(200);
    const form = await agent.post('/newsletter/subscribe').type('form').send(`_csrf=${encodeURIComponent(csrfFrom(page.text))}&email=%FF%FE%40example.com&consent=on`);
    assert.equal(form.status, 422);
    assert.match(form.text, /id="error-email"/);

    const imported = await t.admin('post', '/api/admin/subscribers/import?status=pending').send({ subscribers: hostile.map(([, email]) => ({ email })) }).expect(200);
    assert.equal(imported.body.added, 0);
    assert.deepEqual(imported.body.skipped.map((s: { line: number; reason: string }) => [s.line, /^invalid email/.test(s.reason)]), hostile.map((_, i) => [i + 1, true]));

    assert.equal(await countRows(t, 'subscribers'), 0);
    assert.equal(await countRows(t, 'entries'), 0);
    assert.equal(await countRows(t, 'mail_jobs'), 0);
  });

  it('never makes a pending subscriber of a JSON body that is not UTF-8', async () => {
    const body = Buffer.concat([Buffer.from('{"email":"'), Buffer.from([0xff, 0xfe]), Buffer.from('@example.com","consent":true}')]);
    const response = await t.agent().post('/api/subscriptions').set('Content-Type', 'application/json').send(body);
    assert.ok(response.status === 400 || response.status === 422, `answered ${response.status}`);
    assert.equal(response.body.error.fields?.email ? 'email' : response.body.error.code, 'email');
    assert.equal(await countRows(t, 'subscribers'), 0);
  });

  it('stores addresses and names in NFC, so the decomposed and composed forms are one subscriber', async () => {
    await t.agent().post('/api/subscriptions').send({ email: 'Zoe\u0308@Example.com', name: 'Zoe\u0308 Nakamura', consent: true }).expect(202);
    await t.agent().post('/api/subscriptions').send({ email: 'zo\u00eb@example.com', consent: true }).expect(202);
    const rows = await t.db('subscribers').select('email', 'name');
    assert.deepEqual(rows, [{ email: 'zo\u00eb@example.com', name: 'Zo\u00eb Nakamura' }]);
    const refused = await t.agent().post('/api/subscriptions').send({ email: 'x@example.com', name: 'Eve \u202eevil', consent: true });
    assert.equal(refused.status, 422);
    assert.ok(refused.body.error.fields.name);
  });

  it('puts a non-ASCII name, an internationalised domain and a UTF-8 local part into the headers encoded', async () => {
    const people = [
      { email: 'zoe@bücher.example', name: 'Zoë Ångström' },
      { email: 'josé@example.com', name: 'José Núñez' },
    ];
    for (const person of people) await t.agent().post('/api/subscriptions').send({ ...person, consent: true }).expect(202);
    await t.smtp.waitFor(() => true, 2);
    await t.flushMail();
    const toHeader = (raw: Buffer) => /^To: ?(.*(?:\r\n[ \t].*)*)/im.exec(raw.toString('utf8'))![1];

    const zoe = t.smtp.messages.find((m) => m.to && [m.to].flat()[0].value[0].name === 'Zoë Ångström')!;
    assert.ok(zoe, 'mailparser decodes the name back');
    const zoeTo = toHeader(zoe.raw);
    assert.match(zoeTo, /=\?UTF-8\?[QB]\?/i, 'the name is an RFC 2047 encoded word');
    assert.match(zoeTo, /<zoe@xn--bcher-kva\.example>/, 'an ASCII local part keeps the header ASCII: the domain is punycode');
    assert.ok(/^[\x20-\x7e\r\n\t]*$/.test(zoeTo), 'the whole To: header is ASCII');

    const jose = t.smtp.messages.find((m) => m.to && [m.to].flat()[0].value[0].name === 'José Núñez')!;
    assert.ok(jose, 'mailparser decodes the name back');
    const joseTo = toHeader(jose.raw);
    assert.match(joseTo, /=\?UTF-8\?[QB]\?/i, 'the name is an RFC 2047 encoded word');
    assert.match(joseTo, /<josé@example\.com>/, 'a UTF-8 local part goes as UTF-8 (RFC 6532, sent with SMTPUTF8)');
    assert.equal([jose.to].flat()[0]!.value[0].address, 'josé@example.com');
  });
});

describeEachEngine('hardening: every entry error in one pass', (engine) => {
  let t: TestApp;
  let programme: Awaited<ReturnType<typeof createProgramme>>;
  before(async () => {
    t = await startTestApp(engine);
    programme = await createProgramme(t, { code: 'ONCE26' });
  });
  after(async () => {
    await t.close();
  });

  const bad = { organisation: '', statement: statementOf(801), contactEmail: 'not-an-address' };

  it('reports a missing organisation, a too-long statement and a bad email together, on the API and the form', async () => {
    const api = await t.agent().post(`/api/awards/${programme.slug}/entries`).send({ ...entryFields(bad), consent: true });
    assert.equal(api.status, 422);
    assert.equal(api.body.error.code, 'validation_failed');
    assert.deepEqual(Object.keys(api.body.error.fields), ['organisation', 'contactEmail', 'statement']);
    assert.match(api.body.error.fields.statement, /between 50 and 800 words; it has 801/);

    // An unknown category is found beside the other fields too.
    const unknown = await t.agent().post(`/api/awards/${programme.slug}/entries`).send({ ...entryFields({ ...bad, category: 'no-such-category' }), consent: true });
    assert.deepEqual(Object.keys(unknown.body.error.fields), ['category', 'organisation', 'contactEmail', 'statement']);

    const agent = t.agent();
    const form = await openForm(agent, programme.slug);
    const page = await postEntryForm(agent, programme.slug, { _csrf: form.csrf, submissionId: form.submissionId, ...entryFields(bad) }, [[PDF, 'kept.pdf']]);
    assert.equal(page.status, 422);
    assert.match(page.text, /id="error-organisation">Enter the organisation’s name/);
    assert.match(page.text, /id="error-contactEmail">Enter an email address like name@example.com/);
    assert.match(page.text, /id="error-statement">The statement must have between 50 and 800 words; it has 801/);
    assert.equal((page.text.match(/<li><a href="#field-/g) ?? []).length, 3, 'the summary lists all three');
    assert.match(page.text, /value="not-an-address"/, 'values are kept');
    assert.match(page.text, /value="Priya Shah"/);
    assert.match(page.text, /word800<\/textarea>/, 'the statement is kept');
    assert.equal(await countRows(t, 'entries'), 0);
  });
});

describeEachEngine('hardening: subscribing a known address does the same work as a new one', (engine) => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: ReturnType<typeof createApp>;
  before(async () => {
    database = await createTestDatabase(engine);
    // No background workers: every statement seen during a request is the request's own.
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: database.dataDir, BASE_URL: 'http://masthead.test', ADMIN_TOKEN: 'test-admin-token-0123456789', SECRET: 'test-secret-abcdefghijklmnopqrstuvwxyz', PUBLIC_RATE_LIMIT: '0', LOG_LEVEL: 'silent' });
    app = createApp({ config, db: database.db, logger: createLogger('silent'), mailQueued: () => {}, deliveryQueued: () => {} });
  });
  after(async () => {
    await database.destroy();
  });

  /** The statements a request runs, as "read table" / "write table", in order. */
  async function statementsOf(send: () => Promise<request.Response>) {
    const seen: string[] = [];
    const listen = (q: { sql: string }) => {
      const sql = q.sql.toLowerCase().replace(/["`]/g, '');
      const table = /(?:from|into|update)\s+([a-z_]+)/.exec(sql)?.[1] ?? '';
      seen.push(`${/^\s*select/.test(sql) ? 'read' : /^\s*(insert|update|delete)/.test(sql) ? 'write' : sql.split(/\s/)[0]} ${table}`.trim());
    };
    database.db.on('query', listen);
    try {
      const response = await send();
      return { response, seen };
    } finally {
      database.db.off('query', listen);
    }
  }

  const headersOf = (r: request.Response) => {
    const { date: _date, ...rest } = r.headers;
    return rest;
  };

  it('answers alike and runs the same statements for a new, a pending and a confirmed address, on the API and the form', async () => {
    const post = (email: string) => () => request(app).post('/api/subscriptions').send({ email, consent: true });
    await post('pending@example.com')();
    await post('confirmed@example.com')();
    await database.db('subscribers').where({ email: 'confirmed@example.com' }).update({ status: 'confirmed' });

    const api = [];
    for (const email of ['new@example.com', 'pending@example.com', 'confirmed@example.com']) api.push(await statementsOf(post(email)));
    for (const { response } of api) assert.equal(response.status, 202);
    assert.deepEqual(api[1].seen, api[0].seen, 'pending: the same statements as new');
    assert.deepEqual(api[2].seen, api[0].seen, 'confirmed: the same statements as new');
    assert.ok(api[0].seen.filter((s) => s.startsWith('write')).length >= 3, `writes: ${api[0].seen.join(', ')}`);
    assert.deepEqual(headersOf(api[1].response), headersOf(api[0].response));
    assert.deepEqual(headersOf(api[2].response), headersOf(api[0].response));
    assert.deepEqual([api[0].response.text, api[1].response.text, api[2].response.text], Array(3).fill('{"status":"pending"}'));

    const agent = request.agent(app);
    const page = await agent.get('/newsletter').expect(200);
    const csrf = csrfFrom(page.text);
    const form = [];
    for (const email of ['new-form@example.com', 'pending@example.com', 'confirmed@example.com']) {
      form.push(await statementsOf(() => agent.post('/newsletter/subscribe').type('form').send({ _csrf: csrf, email, consent: 'on' })));
    }
    for (const { response } of form) assert.equal(response.status, 303);
    assert.deepEqual(form[1].seen, form[0].seen);
    assert.deepEqual(form[2].seen, form[0].seen);
    assert.deepEqual(headersOf(form[1].response), headersOf(form[0].response));
    assert.deepEqual(headersOf(form[2].response), headersOf(form[0].response));

    // Same work, different values: only the new and the due addresses get a confirmation.
    const jobs = await database.db('mail_jobs').join('subscribers', 'subscribers.id', 'mail_jobs.subscriber_id').orderBy('mail_jobs.id').select('subscribers.email', 'mail_jobs.status');
    assert.deepEqual(jobs.slice(2).map((j: { email: string; status: string }) => `${j.email} ${j.status}`), [
      'new@example.com queued',
      'pending@example.com dropped',
      'confirmed@example.com dropped',
      'new-form@example.com queued',
      'pending@example.com dropped',
      'confirmed@example.com dropped',
    ]);
    const confirmed = await database.db('subscribers').where({ email: 'confirmed@example.com' }).first();
    assert.equal(confirmed.status, 'confirmed', 'a confirmed reader stays confirmed');
  });
});
