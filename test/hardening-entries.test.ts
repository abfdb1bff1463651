import assert from 'node:assert/strict';
import { after, before, beforeEach, it } from 'node:test';
import { localPath, startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { countRows, openForm, postEntryForm, uploadedFileCount } from './helpers/entry-form';
import { createProgramme, entryFields, PDF } from './helpers/factories';
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
    assert.deepEqual({ entries: await countRows(t, 'entries'), documents: await countRows(t, 'entry_documents'), files: uploadedFileCount(t) }, before);

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
