import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { csrfFrom, startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { openForm, postEntryForm, type Agent } from './helpers/entry-form';
import { createProgramme, entryFields, PDF, PNG } from './helpers/factories';
import { sentTo } from './helpers/smtp';

const documentKeys = (html: string) => [...html.matchAll(/name="removeDocument" value="([^"]+)"/g)].map((m) => m[1]);

function postPage(agent: Agent, page: string, fields: Record<string, string>, files: [Buffer, string][] = []) {
  const action = /<form method="post" action="([^"]+)" enctype/.exec(page)![1].replace(/&amp;/g, '&');
  const req = agent.post(action);
  req.field('_csrf', csrfFrom(page));
  req.field('heldDocuments', /name="heldDocuments" value="([^"]+)"/.exec(page)![1]);
  for (const [name, value] of Object.entries(fields)) req.field(name, value);
  for (const [content, name] of files) req.attach('documents', content, name);
  return req;
}

describeEachEngine('editing a submitted entry', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
  });
  after(async () => {
    await t.close();
  });

  /** Submits an entry through the form; returns its reference, receipt path and edit path. */
  async function submit(slug: string, overrides: Record<string, string> = {}) {
    const agent = t.agent();
    const { csrf, submissionId } = await openForm(agent, slug);
    const response = await postEntryForm(agent, slug, { _csrf: csrf, submissionId, ...entryFields(overrides) }, [[PDF, 'original.pdf']]);
    assert.equal(response.status, 303, response.text);
    const receipt = response.headers.location as string;
    const reference = /entries\/([A-Z0-9]+-\d{5})\?/.exec(receipt)![1];
    return { agent, reference, receipt, edit: receipt.replace(`/entries/${reference}?`, `/entries/${reference}/edit?`) };
  }

  it('edits an entry before the deadline: audit line with the fields changed, an "entry updated" email, documents kept', async () => {
    const programme = await createProgramme(t);
    const { agent, reference, receipt, edit } = await submit(programme.slug, { contactEmail: 'editor@northwind.example' });
    const receiptPage = await agent.get(receipt).expect(200);
    assert.match(receiptPage.text, /Edit your entry/);
    assert.match(receiptPage.text, /What happens next/);

    const form = await agent.get(edit).expect(200);
    assert.match(form.text, new RegExp(`Edit entry ${reference}`));
    assert.match(form.text, /<span>original\.pdf<\/span>/, 'the entry’s documents are listed');
    assert.match(form.text, /value="Northwind Bank"/);

    const saved = await postPage(agent, form.text, { ...entryFields({ contactEmail: 'editor@northwind.example', jobTitle: 'Chief Communications Officer', contactPhone: '+44 20 7946 0999' }), action: 'submit' }, [[PNG, 'added.png']]);
    assert.equal(saved.status, 303, saved.text);
    assert.match(saved.headers.location, /updated=yes/);
    const entry = await t.db('entries').where({ reference }).first();
    assert.equal(entry.job_title, 'Chief Communications Officer');
    assert.deepEqual((await t.db('entry_documents').where({ entry_id: entry.id }).orderBy('id')).map((d) => d.original_name), ['original.pdf', 'added.png']);

    const audit = await t.db('audit_log').where({ entity: 'entries', entity_id: reference, action: 'entries.entrant_edit' });
    assert.equal(audit.length, 1);
    const details = JSON.parse(audit[0].details);
    assert.deepEqual(details.fields.sort(), ['contactPhone', 'documents', 'jobTitle']);
    assert.doesNotMatch(audit[0].details, /Chief|7946/, 'names of fields, never their values');

    const [mail] = await t.smtp.waitFor((m) => sentTo('editor@northwind.example')(m) && /Entry updated/.test(m.subject ?? ''));
    assert.match(mail.subject ?? '', new RegExp(reference));
    assert.match(mail.text ?? '', /Changed: .*job title/, 'the email names what changed');
    assert.doesNotMatch(mail.text ?? '', /Chief Communications/, 'but not the new values');

    // Remove the original document through its button, then save.
    const again = await agent.get(edit).expect(200);
    const [originalKey] = documentKeys(again.text);
    const removed = await postPage(agent, again.text, { ...entryFields({ contactEmail: 'editor@northwind.example', jobTitle: 'Chief Communications Officer', contactPhone: '+44 20 7946 0999' }), removeDocument: originalKey });
    assert.equal(removed.status, 200);
    assert.equal((await t.db('entry_documents').where({ entry_id: entry.id })).length, 2, 'nothing changes until the form is saved');
    const done = await postPage(agent, removed.text, { ...entryFields({ contactEmail: 'editor@northwind.example', jobTitle: 'Chief Communications Officer', contactPhone: '+44 20 7946 0999' }) });
    assert.equal(done.status, 303);
    assert.deepEqual((await t.db('entry_documents').where({ entry_id: entry.id })).map((d) => d.original_name), ['added.png']);

    const invalid = await postPage(agent, removed.text, { ...entryFields({ website: 'not a site' }) });
    assert.equal(invalid.status, 422);
    assert.match(invalid.text, /id="error-website"/);
  });

  it('refuses a change after the deadline and once judging has started: the page says so, a POST changes nothing', async () => {
    const programme = await createProgramme(t);
    const first = await submit(programme.slug);
    const second = await submit(programme.slug, { organisation: 'Second Bank' });
    const form = await first.agent.get(first.edit).expect(200);

    await t.admin('patch', `/api/admin/entries/${second.reference}`).send({ status: 'under_review' }).expect(200);
    const judged = await second.agent.get(second.edit).expect(200);
    assert.match(judged.text, /Judging has started on this entry/);
    assert.doesNotMatch(judged.text, /<form method="post" action="[^"]*\/edit/);

    await t.admin('patch', `/api/admin/awards/${programme.slug}`).send({ closesAt: new Date(Date.now() - 60_000).toISOString() }).expect(200);
    const closed = await first.agent.get(first.edit).expect(200);
    assert.match(closed.text, /Entries closed on .*, so this entry can no longer be changed/);
    const refused = await postPage(first.agent, form.text, { ...entryFields({ jobTitle: 'Too Late' }) });
    assert.equal(refused.status, 409);
    assert.match(refused.text, /can no longer be changed/);
    const entry = await t.db('entries').where({ reference: first.reference }).first();
    assert.equal(entry.job_title, 'Head of Communications');
    assert.equal((await t.db('audit_log').where({ entity_id: first.reference, action: 'entries.entrant_edit' })).length, 0);
    const receipt = await first.agent.get(first.receipt).expect(200);
    assert.doesNotMatch(receipt.text, /Edit your entry/);
  });

  it('withdraws an entry from its page, after a confirmation, recorded in its history', async () => {
    const programme = await createProgramme(t);
    const { agent, reference, receipt } = await submit(programme.slug);
    const withdrawPath = receipt.replace(`/entries/${reference}?`, `/entries/${reference}/withdraw?`);
    const page = await agent.get(withdrawPath).expect(200);
    assert.match(page.text, /Withdraw my entry/);
    assert.equal((await t.db('entries').where({ reference }).first()).status, 'submitted', 'opening the page changes nothing');
    const done = await agent.post(withdrawPath).type('form').send({ _csrf: csrfFrom(page.text) });
    assert.equal(done.status, 303);
    const entry = await t.db('entries').where({ reference }).first();
    assert.equal(entry.status, 'withdrawn');
    const history = await t.db('entry_status_changes').where({ entry_id: entry.id }).orderBy('id');
    assert.deepEqual(history.map((h) => [h.from_status, h.to_status]), [[null, 'submitted'], ['submitted', 'withdrawn']]);
    const after = await agent.get(done.headers.location).expect(200);
    assert.match(after.text, /Your entry has been withdrawn/);
    assert.match(after.text, /Withdrawn/);
    const again = await agent.post(withdrawPath).type('form').send({ _csrf: csrfFrom(page.text) });
    assert.equal(again.status, 409);
  });
});
