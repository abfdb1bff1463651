import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { addArticles, addConfirmedSubscribers, waitForDigest } from './helpers/sending';
import { sentTo } from './helpers/smtp';
import { createStaff, signIn, submitForm } from './helpers/staff';

/** Issue 14: the editor's intro, set through the API and the console, reaches the reader in both parts. */

const INTRO = 'Rates held again this week. Here is what that means for savers & lenders.';

describeEachEngine("the digest's editor's intro", (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
    await addArticles(t, 'banking', 2, 'Intro banking');
    await addArticles(t, 'fintech', 2, 'Intro fintech');
    await addConfirmedSubscribers(t, [{ email: 'intro.reader@example.com', topics: ['banking', 'fintech'] }]);
  });
  after(async () => {
    await t.close();
  });

  it('POST /api/admin/digests {intro} puts it above the stories of the email and its web copy; a too-long intro is refused and stores nothing', async () => {
    const digestsBefore = Number((await t.db('digests').count({ n: '*' }))[0].n);
    const long = await t.admin('post', '/api/admin/digests').send({ topic: 'banking', intro: 'x'.repeat(1001) }).expect(422);
    assert.equal(long.body.error.fields.intro, 'intro has at most 1,000 characters');
    assert.equal(Number((await t.db('digests').count({ n: '*' }))[0].n), digestsBefore, 'nothing stored');

    const trigger = await t.admin('post', '/api/admin/digests').send({ topic: 'banking', intro: INTRO }).expect(202);
    await waitForDigest(t, trigger.body.id, ['sent']);
    const [mail] = await t.smtp.waitFor(sentTo('intro.reader@example.com'));
    const html = String(mail.html);
    assert.ok(html.includes('Rates held again this week. Here is what that means for savers &amp; lenders.'), 'in the HTML, escaped');
    assert.ok(html.indexOf('Rates held again') < html.indexOf('Intro banking'), 'above the stories');
    assert.match(String(mail.text), /From the editor: Rates held again this week\. Here is what that means for savers & lenders\./);
    const web = await t.agent().get(`/digests/${trigger.body.id}`).expect(200);
    assert.ok(web.text.includes('savers &amp; lenders'), 'the web copy has it too');
  });

  it('the console compose form carries the intro into the preview and the test send', async () => {
    await createStaff(t, 'intro.editor@example.com', 'editor');
    const editor = await signIn(t, 'intro.editor@example.com');
    const query = `topic=fintech&limit=2&intro=${encodeURIComponent(INTRO)}`;
    const compose = await editor.get(`/admin/digests/new?${query}`).expect(200);
    assert.match(compose.text, /<textarea id="field-intro" name="intro"[^>]*>Rates held again this week\. Here is what that means for savers &amp; lenders\.<\/textarea>/);
    const preview = await editor.get(`/admin/digests/preview?${query}`).expect(200);
    assert.ok(preview.text.includes('savers &amp; lenders'));

    await submitForm(editor, `/admin/digests/new?${query}`, '/admin/digests/test', { topic: 'fintech', limit: '2', subject: '', intro: INTRO });
    const [mail] = await t.smtp.waitFor((m) => sentTo('intro.editor@example.com')(m) && /Intro fintech/.test(String(m.text)));
    assert.match(String(mail.text), /From the editor: Rates held again this week/);
  });
});
