import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config';
import { digestFromHeader } from '../src/mail/sender';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { createProgramme, entryFields } from './helpers/factories';
import { addArticles, addConfirmedSubscribers, waitForDigest } from './helpers/sending';
import type { ReceivedMail } from './helpers/smtp';
import { htmlFindings } from './helpers/html-validate';
import { createStaff, signIn, submitForm } from './helpers/staff';

/** Issue 13, readers: a sender name per topic or programme on MAIL_FROM's address, and MAIL_REPLY_TO. */

/** The raw header's value (unfolded), as the message went over the wire. */
function rawHeader(mail: ReceivedMail, name: string): string | null {
  const head = mail.raw.toString('latin1').split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line ? line.slice(name.length + 1).trim() : null;
}

const fromOf = (mail: ReceivedMail) => mail.from!.value[0];
const addressedTo = (reader: string) => (m: { to?: unknown }) => JSON.stringify(m.to ?? '').includes(`"${reader}"`);

describeEachEngine('sender names and Reply-To', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine, { MAIL_FROM: 'Masthead <newsletter@masthead.test>', MAIL_REPLY_TO: 'editors@masthead.test' });
  });
  after(async () => {
    await t.close();
  });

  async function sendDigest(topic: string, reader: string): Promise<ReceivedMail> {
    await addArticles(t, topic, 1);
    await addConfirmedSubscribers(t, [{ email: reader, topics: [topic] }]);
    const sent = await t.admin('post', '/api/admin/digests').send({ topic }).expect(202);
    await waitForDigest(t, sent.body.id, ['sent']);
    const [mail] = await t.smtp.waitFor(addressedTo(reader));
    return mail;
  }

  it('a topic without a sender name sends as MAIL_FROM, with Reply-To', async () => {
    const mail = await sendDigest('finance', 'plain.reader@example.com');
    assert.equal(rawHeader(mail, 'From'), 'Masthead <newsletter@masthead.test>');
    assert.deepEqual(fromOf(mail), { address: 'newsletter@masthead.test', name: 'Masthead' });
    assert.equal(rawHeader(mail, 'Reply-To'), 'editors@masthead.test');
    assert.equal(mail.replyTo?.value[0].address, 'editors@masthead.test');
  });

  it('a topic’s non-ASCII sender name is one encoded word on the same address; mailparser reads it back', async () => {
    const listed = await t.admin('get', '/api/admin/topics').expect(200);
    assert.equal(listed.body.items.find((i: { slug: string }) => i.slug === 'fintech').senderName, null);
    const patched = await t.admin('patch', '/api/admin/topics/fintech').send({ senderName: 'Zoë’s Fintech Désk' }).expect(200);
    assert.deepEqual(patched.body, { slug: 'fintech', name: patched.body.name, senderName: 'Zoë’s Fintech Désk' });

    const mail = await sendDigest('fintech', 'zoe.reader@example.com');
    const raw = rawHeader(mail, 'From')!;
    assert.match(raw, /^=\?UTF-8\?Q\?[^ ]+\?=( =\?UTF-8\?Q\?[^ ]+\?=)* <newsletter@masthead\.test>$/, raw);
    assert.ok(/^[\x20-\x7e]+$/.test(raw), 'the header is ASCII on the wire');
    assert.deepEqual(fromOf(mail), { address: 'newsletter@masthead.test', name: 'Zoë’s Fintech Désk' });
    assert.equal(mail.replyTo?.value[0].address, 'editors@masthead.test');
  });

  it('an ASCII sender name with quotes is a quoted string; null goes back to MAIL_FROM’s name', async () => {
    await t.admin('patch', '/api/admin/topics/insurance').send({ senderName: 'The "Cover" Desk' }).expect(200);
    const mail = await sendDigest('insurance', 'quoted.reader@example.com');
    assert.equal(rawHeader(mail, 'From'), '"The \\"Cover\\" Desk" <newsletter@masthead.test>');
    assert.equal(fromOf(mail).name, 'The "Cover" Desk');
    const cleared = await t.admin('patch', '/api/admin/topics/insurance').send({ senderName: null }).expect(200);
    assert.equal(cleared.body.senderName, null);
    assert.equal((await t.db('topics').where({ slug: 'insurance' }).first('sender_name')).sender_name, null);
  });

  it('a digest of several topics is from their sender name only when they share it', async () => {
    await t.admin('patch', '/api/admin/topics/investing').send({ senderName: 'The Desk' }).expect(200);
    await t.admin('patch', '/api/admin/topics/banking').send({ senderName: 'The Desk' }).expect(200);
    await addArticles(t, 'investing', 1);
    await addArticles(t, 'banking', 1);
    await addConfirmedSubscribers(t, [{ email: 'shared.name@example.com', topics: ['investing', 'banking'] }]);
    const shared = await t.admin('post', '/api/admin/digests').send({ topics: ['investing', 'banking'] }).expect(202);
    await waitForDigest(t, shared.body.id, ['sent']);
    const [mail] = await t.smtp.waitFor(addressedTo('shared.name@example.com'));
    assert.equal(rawHeader(mail, 'From'), '"The Desk" <newsletter@masthead.test>');

    await t.admin('patch', '/api/admin/topics/banking').send({ senderName: 'Another Desk' }).expect(200);
    await addArticles(t, 'investing', 1);
    await addArticles(t, 'banking', 1);
    const mixed = await t.admin('post', '/api/admin/digests').send({ topics: ['investing', 'banking'] }).expect(202);
    await waitForDigest(t, mixed.body.id, ['sent']);
    const [second] = (await t.smtp.waitFor(addressedTo('shared.name@example.com'), 2)).slice(1);
    assert.equal(rawHeader(second, 'From'), 'Masthead <newsletter@masthead.test>');
    await t.admin('patch', '/api/admin/topics/banking').send({ senderName: null }).expect(200);
  });

  it('refuses a sender name on two lines, an unknown topic and a missing field', async () => {
    const twoLines = await t.admin('patch', '/api/admin/topics/finance').send({ senderName: 'A\r\nBcc: x@evil.example' });
    assert.equal(twoLines.status, 422);
    assert.ok(twoLines.body.error.fields.senderName);
    await t.admin('patch', '/api/admin/topics/no-such-topic').send({ senderName: 'X' }).expect(404);
    await t.admin('patch', '/api/admin/topics/finance').send({}).expect(422);
    assert.equal((await t.db('topics').where({ slug: 'finance' }).first('sender_name')).sender_name, null, 'nothing written');
  });

  it('editors set a topic’s sender name in the console; a bad one is shown beside its field', async () => {
    await createStaff(t, 'sender.editor@example.com', 'editor');
    const editor = await signIn(t, 'sender.editor@example.com');
    const page = await editor.get('/admin/topics').expect(200);
    assert.match(page.text, /<label for="field-senderName-banking">Banking<\/label>/);
    const saved = await submitForm(editor, '/admin/topics', '/admin/topics/banking', { senderName: 'The Banking Brief' });
    assert.equal(saved.status, 303);
    assert.equal((await t.db('topics').where({ slug: 'banking' }).first('sender_name')).sender_name, 'The Banking Brief');
    assert.match((await editor.get('/admin/topics')).text, /value="The Banking Brief"/);
    const bad = await submitForm(editor, '/admin/topics', '/admin/topics/banking', { senderName: 'x'.repeat(121) });
    assert.equal(bad.status, 422);
    assert.match(bad.text, /id="error-senderName-banking"/);
    assert.deepEqual(await htmlFindings(bad.text), [], 'the page with an error is valid HTML');
    assert.equal((await t.db('topics').where({ slug: 'banking' }).first('sender_name')).sender_name, 'The Banking Brief', 'unchanged');
  });

  it('the console’s programme form sets and shows the sender name', async () => {
    await createStaff(t, 'programme.editor@example.com', 'editor');
    const editor = await signIn(t, 'programme.editor@example.com');
    const created = await submitForm(editor, '/admin/programmes/new', '/admin/programmes', {
      slug: 'sender-awards', code: 'SNDR27', name: 'Sender Awards 2027', description: 'Awards with their own sender name.',
      senderName: 'The Sender Awards', timeZone: 'Europe/London', opensAt: '2027-01-05T09:00', closesAt: '2027-03-31T23:59',
      statementMinWords: '20', statementMaxWords: '500',
      'category-0-slug': 'best-bank', 'category-0-name': 'Best Bank', 'category-0-description': 'The best bank.',
    });
    assert.equal(created.status, 303);
    assert.equal((await t.db('programmes').where({ slug: 'sender-awards' }).first('sender_name')).sender_name, 'The Sender Awards');
    const edit = await editor.get('/admin/programmes/sender-awards').expect(200);
    assert.match(edit.text, /name="senderName" type="text" value="The Sender Awards"/);
  });

  it('a programme’s sender name names its entry emails; transactional mail carries Reply-To too', async () => {
    const programme = await createProgramme(t, { senderName: 'Prix Bancaire Ø' });
    assert.equal((programme as { senderName?: string }).senderName, 'Prix Bancaire Ø');
    await t.agent().post(`/api/awards/${programme.slug}/entries`).send({ ...entryFields({ contactEmail: 'entrant.one@example.com' }), consent: true }).expect(201);
    const [mail] = await t.smtp.waitFor(addressedTo('entrant.one@example.com'));
    assert.deepEqual(fromOf(mail), { address: 'newsletter@masthead.test', name: 'Prix Bancaire Ø' });
    assert.match(rawHeader(mail, 'From')!, /^=\?UTF-8\?Q\?.+\?= <newsletter@masthead\.test>$/);
    assert.equal(mail.replyTo?.value[0].address, 'editors@masthead.test');

    // Cleared by PATCH: MAIL_FROM again.
    const patched = await t.admin('patch', `/api/admin/awards/${programme.slug}`).send({ senderName: null }).expect(200);
    assert.equal(patched.body.senderName, null);
    await t.agent().post(`/api/awards/${programme.slug}/entries`).send({ ...entryFields({ organisation: 'Other Bank', contactEmail: 'entrant.two@example.com' }), consent: true }).expect(201);
    const [second] = await t.smtp.waitFor(addressedTo('entrant.two@example.com'));
    assert.deepEqual(fromOf(second), { address: 'newsletter@masthead.test', name: 'Masthead' });
  });
});

describe('the From header of a digest of several topics', () => {
  const MAIL_FROM = 'Masthead <newsletter@masthead.test>';
  it('uses a sender name only when every topic shares it', () => {
    assert.equal(digestFromHeader(MAIL_FROM, ['The Desk', 'The Desk', ' The Desk ']), '"The Desk" <newsletter@masthead.test>');
    assert.equal(digestFromHeader(MAIL_FROM, ['The Desk', 'Other Desk']), MAIL_FROM);
    assert.equal(digestFromHeader(MAIL_FROM, ['The Desk', null]), MAIL_FROM);
    assert.equal(digestFromHeader(MAIL_FROM, [null, '']), MAIL_FROM);
    assert.equal(digestFromHeader('newsletter@masthead.test', ['Zoë']), '=?UTF-8?Q?Zo=C3=AB?= <newsletter@masthead.test>');
  });
});

describe('MAIL_REPLY_TO and TRACK_CLICKS configuration', () => {
  const tmp = () => mkdtempSync(path.join(tmpdir(), 'masthead-config-'));
  it('a bad MAIL_REPLY_TO stops the start with one line naming it; unset means no Reply-To', () => {
    for (const bad of ['not an address', 'a@b.example, c@d.example', 'Editors <editors@example.com>']) {
      assert.throws(
        () => loadConfig({ DATA_DIR: tmp(), MAIL_REPLY_TO: bad }),
        (err: Error) => err instanceof ConfigError && err.message.includes('MAIL_REPLY_TO') && !err.message.includes('\n'),
      );
    }
    assert.equal(loadConfig({ DATA_DIR: tmp() }).mailReplyTo, null);
    assert.equal(loadConfig({ DATA_DIR: tmp(), MAIL_REPLY_TO: 'editors@example.com' }).mailReplyTo, 'editors@example.com');
  });
  it('TRACK_CLICKS is off by default and must be a boolean', () => {
    assert.equal(loadConfig({ DATA_DIR: tmp() }).trackClicks, false);
    assert.equal(loadConfig({ DATA_DIR: tmp(), TRACK_CLICKS: '1' }).trackClicks, true);
    assert.throws(() => loadConfig({ DATA_DIR: tmp(), TRACK_CLICKS: 'maybe' }), /TRACK_CLICKS/);
  });
});
