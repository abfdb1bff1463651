import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { SIGN_IN_TTL_MS } from '../src/awards/my-entries';
import { csrfFrom, localPath, startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { openForm, postEntryForm } from './helpers/entry-form';
import { createProgramme, entryFields } from './helpers/factories';
import { linksIn, sentTo } from './helpers/smtp';

describeEachEngine('my entries', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
  });
  after(async () => {
    await t.close();
  });

  async function askForLink(email: string) {
    const agent = t.agent();
    const page = await agent.get('/awards/my-entries').expect(200);
    const response = await agent.post('/awards/my-entries').type('form').send({ _csrf: csrfFrom(page.text), email });
    return { agent, response };
  }

  async function signInLink(email: string, nth = 1) {
    const messages = await t.smtp.waitFor((m) => sentTo(email)(m) && /Your entries/.test(m.subject ?? ''), nth);
    return localPath(linksIn(messages[nth - 1]).find((l) => l.includes('/my-entries/sign-in'))!);
  }

  it('signs in with an emailed link that works once, and lists entries across programmes with the embargo held', async () => {
    const email = 'owner@northwind.example';
    const one = await createProgramme(t);
    const two = await createProgramme(t);
    for (const slug of [one.slug, two.slug]) {
      const agent = t.agent();
      const { csrf, submissionId } = await openForm(agent, slug);
      (await postEntryForm(agent, slug, { _csrf: csrf, submissionId, ...entryFields({ contactEmail: email }) })).status === 303 || assert.fail('entry not taken');
    }
    const draft = await t.agent().post(`/api/awards/${one.slug}/entries`).send({ action: 'save', contactEmail: email, organisation: 'Draft Org' });
    assert.equal(draft.status, 201);
    const [shortlisted] = await t.db('entries').where({ programme_id: (await t.db('programmes').where({ slug: two.slug }).first()).id });
    await t.admin('patch', `/api/admin/entries/${shortlisted.reference}`).send({ status: 'shortlisted' }).expect(200);

    const { response } = await askForLink(email);
    assert.equal(response.status, 303);
    assert.equal(response.headers.location, '/awards/my-entries/sent');
    const link = await signInLink(email);

    const browser = t.agent();
    const confirm = await browser.get(link).expect(200);
    assert.match(confirm.text, /Show my entries/);
    const signedIn = await browser.post(link).type('form').send({ _csrf: csrfFrom(confirm.text) });
    assert.equal(signedIn.status, 303);
    const list = await browser.get('/awards/my-entries').expect(200);
    const references = [...list.text.matchAll(/([A-Z0-9]+-\d{5}): Northwind Bank/g)].map((m) => m[1]);
    assert.equal(references.length, 2, 'entries of both programmes');
    assert.match(list.text, /Draft Org/);
    assert.match(list.text, /Continue this draft/);
    assert.doesNotMatch(list.text, /Shortlisted/, 'the results embargo holds');
    assert.match(list.text, /Under review/);
    assert.match(list.text, /Edit<span class="visually-hidden"> entry/);
    assert.match(list.text, /Withdraw<span class="visually-hidden"> entry/);

    const editLink = /href="([^"]+\/edit\?token=[^"]+)"/.exec(list.text)![1].replace(/&amp;/g, '&');
    await browser.get(editLink).expect(200);

    const reuse = t.agent();
    const reused = await reuse.get(link);
    assert.equal(reused.status, 400, 'the link works once');
    const replay = await browser.post(link).type('form').send({ _csrf: csrfFrom(confirm.text) });
    assert.equal(replay.status, 400, 'a second use of the link is refused');
    const stranger = await t.agent().get('/awards/my-entries').expect(200);
    assert.match(stranger.text, /Email me a link/, 'without the session, only the form');
  });

  it('gives the same answer for an unknown address, and sends it nothing', async () => {
    const known = await askForLink('owner@northwind.example');
    const unknown = await askForLink('nobody@nowhere.example');
    assert.equal(unknown.response.status, known.response.status);
    assert.equal(unknown.response.headers.location, known.response.headers.location);
    const sent = await known.agent.get('/awards/my-entries/sent').expect(200);
    const sentUnknown = await unknown.agent.get('/awards/my-entries/sent').expect(200);
    assert.equal(sent.text, sentUnknown.text);
    await signInLink('owner@northwind.example', 2);
    await t.flushMail();
    assert.equal(t.smtp.to('nobody@nowhere.example').length, 0);
    const agent = t.agent();
    const invalid = await agent.get('/awards/my-entries').expect(200);
    const refused = await agent.post('/awards/my-entries').type('form').send({ _csrf: csrfFrom(invalid.text), email: 'nope' });
    assert.equal(refused.status, 422);
    assert.match(refused.text, /id="error-email"/);
  });

  it('refuses an expired link', async () => {
    await askForLink('owner@northwind.example');
    const link = await signInLink('owner@northwind.example', 3);
    await t.db('entrant_sign_ins').update({ expires_at: new Date(Date.now() - 1000) });
    assert.ok(SIGN_IN_TTL_MS === 15 * 60_000, 'links last 15 minutes');
    const page = await t.agent().get(link);
    assert.equal(page.status, 400);
    assert.match(page.text, /used or has expired/);
  });
});
