import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createDraftReminders, DRAFT_REMINDER_1D_MAIL, DRAFT_REMINDER_7D_MAIL } from '../src/awards/draft-reminders';
import { HELD_MAX_AGE_MS } from '../src/awards/held-documents';
import { sweepUploads } from '../src/awards/upload-sweep';
import { createDb } from '../src/db';
import { createLogger } from '../src/logger';
import { csrfFrom, localPath, startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { countRows, openForm, postEntryForm, uploadedFileCount, type Agent } from './helpers/entry-form';
import { createProgramme, entryFields, PDF, PNG } from './helpers/factories';
import { htmlFindings } from './helpers/html-validate';
import { linksIn, sentTo } from './helpers/smtp';

/** The form's hidden token naming the documents it holds. */
const heldFrom = (html: string) => /name="heldDocuments" value="([^"]+)"/.exec(html)![1];
const documentKeys = (html: string) => [...html.matchAll(/name="removeDocument" value="([^"]+)"/g)].map((m) => m[1]);

/** Posts a form page again as the browser would: its action, its tokens, these fields and files. */
function postPage(agent: Agent, page: string, fields: Record<string, string>, files: [Buffer, string][] = []) {
  const action = /<form method="post" action="([^"]+)" enctype/.exec(page)![1].replace(/&amp;/g, '&');
  const req = agent.post(action);
  req.field('_csrf', csrfFrom(page));
  req.field('heldDocuments', heldFrom(page));
  for (const [name, value] of Object.entries(fields)) req.field(name, value);
  for (const [content, name] of files) req.attach('documents', content, name);
  return req;
}

describeEachEngine('entry drafts', (engine) => {
  let t: TestApp;
  let programme: Awaited<ReturnType<typeof createProgramme>>;
  before(async () => {
    t = await startTestApp(engine);
    programme = await createProgramme(t);
  });
  after(async () => {
    await t.close();
  });

  it('saves a draft with only an email, emails its link, continues it with its documents and submits it', async () => {
    const agent = t.agent();
    const { csrf } = await openForm(agent, programme.slug);
    const saved = await postEntryForm(agent, programme.slug, { _csrf: csrf, action: 'save', contactEmail: 'draft.one@example.net', organisation: 'Half Written Ltd', website: 'https://half' }, [[PDF, 'plan.pdf']]);
    assert.equal(saved.status, 303, saved.text);
    assert.match(saved.headers.location, new RegExp(`^/awards/${programme.slug}/drafts/\\d+\\?token=.+&saved=new$`));
    assert.equal(await countRows(t, 'entries'), 0, 'a draft is not an entry');

    const page = await agent.get(saved.headers.location).expect(200);
    assert.match(page.text, /Your draft is saved/);

    const [mail] = await t.smtp.waitFor(sentTo('draft.one@example.net'));
    assert.match(mail.subject ?? '', /Continue your entry/);
    assert.deepEqual(await htmlFindings(String(mail.html), 'email'), [], 'the HTML part is valid');
    assert.match(mail.text ?? '', /Continue your entry/, 'and a plain-text part');
    const link = linksIn(mail).find((l) => l.includes('/drafts/'))!;

    const continued = t.agent();
    const form = await continued.get(localPath(link)).expect(200);
    assert.match(form.text, /value="Half Written Ltd"/, 'the fields come back');
    assert.match(form.text, /<span>plan\.pdf<\/span>/, 'the document is still attached');

    const submitted = await postPage(continued, form.text, { ...entryFields({ organisation: 'Half Written Ltd', contactEmail: 'draft.one@example.net' }), action: 'submit' });
    assert.equal(submitted.status, 303, submitted.text);
    const reference = /entries\/([A-Z0-9]+-\d{5})\?token=/.exec(submitted.headers.location)![1];
    const entry = await t.db('entries').where({ reference }).first();
    assert.equal(entry.status, 'submitted');
    assert.deepEqual((await t.db('entry_documents').where({ entry_id: entry.id })).map((d) => d.original_name), ['plan.pdf']);
    assert.equal(await countRows(t, 'held_documents'), 0, 'the entry took the held document');
    const draft = await t.db('entry_drafts').first();
    assert.equal(draft.status, 'submitted');
    assert.equal(draft.entry_id, entry.id);
    const [confirmation] = await t.smtp.waitFor((m) => sentTo('draft.one@example.net')(m) && /Entry received/.test(m.subject ?? ''));
    assert.match(confirmation.subject ?? '', new RegExp(reference));

    const again = await continued.get(localPath(link)).expect(200);
    assert.match(again.text, /This draft has been submitted/);
    const late = await postPage(continued, form.text, { ...entryFields({ contactEmail: 'draft.one@example.net' }), action: 'submit' });
    assert.equal(late.status, 409, 'a submitted draft cannot be submitted twice');
    assert.equal(await countRows(t, 'entries'), 1);
  });

  it('refuses a draft without a valid email, and takes one from the JSON API', async () => {
    const agent = t.agent();
    const { csrf } = await openForm(agent, programme.slug);
    const refused = await postEntryForm(agent, programme.slug, { _csrf: csrf, action: 'save', contactEmail: 'not-an-address', organisation: 'Nameless' });
    assert.equal(refused.status, 422);
    assert.match(refused.text, /id="error-contactEmail"/);
    assert.match(refused.text, /value="Nameless"/);

    const api = await t.agent().post(`/api/awards/${programme.slug}/entries`).send({ action: 'save', contactEmail: 'api.draft@example.net', organisation: 'Api Draft Co' });
    assert.equal(api.status, 201);
    assert.equal(api.body.status, 'draft');
    assert.equal(api.body.reference, undefined, 'a draft has no reference yet');
    const noEmail = await t.agent().post(`/api/awards/${programme.slug}/entries`).send({ action: 'save', organisation: 'X' });
    assert.equal(noEmail.status, 422);
    assert.ok(noEmail.body.error.fields.contactEmail);
  });

  it('keeps drafts out of review lists and counts unless ?status=draft is asked for', async () => {
    const list = await t.admin('get', '/api/admin/entries').expect(200);
    assert.ok(list.body.items.every((e: { status: string }) => e.status !== 'draft'));
    assert.equal(list.body.total, await countRows(t, 'entries'));
    const drafts = await t.admin('get', `/api/admin/entries?status=draft&programme=${programme.slug}`).expect(200);
    assert.ok(drafts.body.total >= 1);
    assert.ok(drafts.body.items.some((d: { contactEmail: string; status: string }) => d.contactEmail === 'api.draft@example.net' && d.status === 'draft'));
    const programmes = await t.admin('get', '/api/admin/awards').expect(200);
    const counts = programmes.body.items.find((p: { slug: string }) => p.slug === programme.slug).entries;
    assert.equal(counts.total, await countRows(t, 'entries'), 'drafts are not counted as entries');
  });

  it('keeps documents across a form that comes back with errors, lets them be removed, and holds at most three', async () => {
    const agent = t.agent();
    const { csrf, submissionId } = await openForm(agent, programme.slug);
    const first = await postEntryForm(agent, programme.slug, { _csrf: csrf, submissionId, ...entryFields({ organisation: 'Kept Docs plc', website: 'nope' }) }, [
      [PDF, 'report.pdf'],
      [PNG, 'chart.png'],
    ]);
    assert.equal(first.status, 422);
    assert.match(first.text, /id="error-website"/);
    assert.match(first.text, /<span>report\.pdf<\/span>/);
    assert.match(first.text, /<span>chart\.png<\/span>/);
    const [reportKey] = documentKeys(first.text);

    const removed = await postPage(agent, first.text, { ...entryFields({ organisation: 'Kept Docs plc', website: 'nope' }), removeDocument: reportKey });
    assert.equal(removed.status, 200);
    assert.match(removed.text, /report\.pdf was removed/);
    assert.doesNotMatch(removed.text, /<span>report\.pdf<\/span>/);
    assert.match(removed.text, /<span>chart\.png<\/span>/);

    const tooMany = await postPage(agent, removed.text, { ...entryFields({ organisation: 'Kept Docs plc', website: 'nope' }) }, [
      [PDF, 'a.pdf'],
      [PDF, 'b.pdf'],
      [PDF, 'c.pdf'],
    ]);
    assert.equal(tooMany.status, 422);
    assert.match(tooMany.text, /at most 3 documents in all/);

    const fixed = await postPage(agent, removed.text, { ...entryFields({ organisation: 'Kept Docs plc' }), submissionId });
    assert.equal(fixed.status, 303, fixed.text);
    const reference = /entries\/([A-Z0-9]+-\d{5})\?token=/.exec(fixed.headers.location)![1];
    const entry = await t.db('entries').where({ reference }).first();
    assert.deepEqual((await t.db('entry_documents').where({ entry_id: entry.id })).map((d) => d.original_name), ['chart.png']);
  });

  it('lets the upload sweep remove documents held for a form never sent again, not a draft’s', async () => {
    const agent = t.agent();
    const { csrf } = await openForm(agent, programme.slug);
    const refused = await postEntryForm(agent, programme.slug, { _csrf: csrf, ...entryFields({ website: 'nope' }) }, [[PDF, 'abandoned.pdf']]);
    assert.equal(refused.status, 422);
    const saved = await postEntryForm(agent, programme.slug, { _csrf: csrf, action: 'save', contactEmail: 'keeps.files@example.net' }, [[PDF, 'drafted.pdf']]);
    assert.equal(saved.status, 303);
    const held = async () => (await t.db('held_documents').whereIn('original_name', ['abandoned.pdf', 'drafted.pdf']).orderBy('id')).map((d) => d.original_name);
    assert.deepEqual(await held(), ['abandoned.pdf', 'drafted.pdf']);
    const files = uploadedFileCount(t);
    const abandoned = Number((await t.db('held_documents').whereNull('draft_id').count({ n: '*' }))[0].n);

    await sweepUploads({ db: t.db, dataDir: t.config.dataDir });
    assert.deepEqual(await held(), ['abandoned.pdf', 'drafted.pdf'], 'a day has not passed');
    const removed = await sweepUploads({ db: t.db, dataDir: t.config.dataDir, now: Date.now() + HELD_MAX_AGE_MS + 60_000 });
    assert.deepEqual(await held(), ['drafted.pdf'], 'the draft keeps its document');
    assert.equal(removed.orphans, abandoned);
    assert.equal(uploadedFileCount(t), files - abandoned, 'the abandoned files are gone from disk');
  });

  it('sends each reminder once, with two reminder runners racing', async () => {
    const soon = await createProgramme(t, { closesAt: new Date(Date.now() + 5 * 86_400_000).toISOString() });
    const api = await t.agent().post(`/api/awards/${soon.slug}/entries`).send({ action: 'save', contactEmail: 'remind.me@example.net', contactName: 'Rhea Mind' });
    assert.equal(api.status, 201);
    // Begun before the 7-day window opened, as a real one would have been.
    await t.db('entry_drafts').where({ id: api.body.draft }).update({ created_at: new Date(Date.now() - 10 * 86_400_000) });
    const other = createDb({ databaseUrl: t.database.databaseUrl, dataDir: t.database.dataDir });
    const logger = createLogger('silent');
    const runners = [t.db, other].map((db) => createDraftReminders({ db, logger, queued: () => t.workers.mailJobs.kick() }));
    try {
      await Promise.all([...runners, ...runners].map((r) => r.runOnce()));
      await Promise.all(runners.map((r) => r.runOnce()));
      await t.flushMail();
      const jobs = async (kind: string) => Number((await t.db('mail_jobs').where({ kind, draft_id: api.body.draft }).count({ n: '*' }))[0].n);
      assert.equal(await jobs(DRAFT_REMINDER_7D_MAIL), 1);
      assert.equal(await jobs(DRAFT_REMINDER_1D_MAIL), 0, 'the 1-day reminder is not due yet');
      const week = await t.smtp.waitFor((m) => sentTo('remind.me@example.net')(m) && /close in a week/.test(m.subject ?? ''));
      assert.equal(week.length, 1);

      await t.admin('patch', `/api/admin/awards/${soon.slug}`).send({ closesAt: new Date(Date.now() + 12 * 3_600_000).toISOString() }).expect(200);
      await Promise.all([...runners, ...runners].map((r) => r.runOnce()));
      await t.flushMail();
      const day = await t.smtp.waitFor((m) => sentTo('remind.me@example.net')(m) && /close tomorrow/.test(m.subject ?? ''));
      assert.equal(day.length, 1);
      assert.equal(await jobs(DRAFT_REMINDER_1D_MAIL), 1);
      assert.equal(t.smtp.to('remind.me@example.net').filter((m) => /close/.test(m.subject ?? '')).length, 2, 'one reminder of each kind, no more');
    } finally {
      await other.destroy();
    }
  });
});
