import assert from 'node:assert/strict';
import { after, before, beforeEach, it } from 'node:test';
import { signToken } from '../src/tokens';
import { linkFor } from '../src/subscribers/service';
import { csrfFrom, localPath, startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { linksIn, sentTo } from './helpers/smtp';

async function subscriberRow(t: TestApp, email: string) {
  return t.db('subscribers').where({ email }).first();
}

async function topicsOf(t: TestApp, email: string): Promise<string[]> {
  const rows = await t.db('subscriber_topics')
    .join('subscribers', 'subscribers.id', 'subscriber_topics.subscriber_id')
    .join('topics', 'topics.id', 'subscriber_topics.topic_id')
    .where('subscribers.email', email)
    .orderBy('topics.slug')
    .select('topics.slug');
  return rows.map((r: { slug: string }) => r.slug);
}

/** Subscribes through the page, as a browser would: load the form, post it with its CSRF token. */
async function subscribeByForm(t: TestApp, fields: Record<string, string | string[]>) {
  const agent = t.agent();
  const page = await agent.get('/newsletter').expect(200);
  const response = await agent
    .post('/newsletter/subscribe')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), ...fields });
  return { agent, response };
}

function confirmLinkIn(t: TestApp, email: string): string {
  const [message] = t.smtp.to(email).slice(-1);
  const link = linksIn(message).find((l) => l.includes('/newsletter/confirm?token='));
  assert.ok(link, 'the confirmation email has a confirm link');
  return localPath(link);
}

describeEachEngine('newsletter subscriptions', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
  });
  after(async () => {
    await t.close();
  });
  beforeEach(() => {
    t.smtp.messages.length = 0;
  });

  it('takes a reader from the signup form through confirmation, preferences and unsubscribe', async () => {
    const email = 'reader.one@example.com';
    const { agent, response } = await subscribeByForm(t, { email: 'Reader.One@Example.com', name: 'Reader One', topics: ['banking', 'fintech'], consent: 'on' });
    assert.equal(response.status, 303);
    assert.equal(response.headers.location, '/newsletter/check-inbox');
    const inbox = await agent.get('/newsletter/check-inbox').expect(200);
    assert.match(inbox.text, /Check your inbox/);

    const row = await subscriberRow(t, email);
    assert.equal(row.status, 'pending');
    assert.equal(row.consent_source, 'form');
    assert.ok(row.consent_version);
    assert.ok(row.consent_at);
    assert.deepEqual(await topicsOf(t, email), ['banking', 'fintech']);

    const [mail] = await t.smtp.waitFor(sentTo(email));
    assert.match(mail.subject ?? '', /Confirm your subscription/);
    assert.ok(mail.html && mail.html.includes('Confirm my subscription'), 'has an HTML part from the MJML template');
    assert.match(mail.text ?? '', /Banking, Fintech/);
    assert.match(mail.text ?? '', new RegExp(t.config.postalAddress.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.match(mail.html ?? '', /Hello Reader One/);

    // Opening the link (as a link scanner would) shows a button and changes nothing.
    const confirmPath = confirmLinkIn(t, email);
    const confirmPage = await agent.get(confirmPath).expect(200);
    assert.match(confirmPage.text, /<button type="submit">Confirm subscription<\/button>/);
    assert.equal((await subscriberRow(t, email)).status, 'pending');

    const confirmed = await agent.post(confirmPath).type('form').send({ _csrf: csrfFrom(confirmPage.text) }).expect(200);
    assert.match(confirmed.text, /You are subscribed/);
    assert.equal((await subscriberRow(t, email)).status, 'confirmed');

    // The page links to the preferences, where topics change.
    const preferencesHref = /href="([^"]*\/newsletter\/preferences\?token=[^"]+)"/.exec(confirmed.text)?.[1];
    assert.ok(preferencesHref);
    const preferencesPath = localPath(preferencesHref.replace(/&amp;/g, '&'));
    const preferences = await agent.get(preferencesPath).expect(200);
    assert.match(preferences.text, /id="topic-banking" name="topics" value="banking" checked/);
    const saved = await agent
      .post(preferencesPath)
      .type('form')
      .send({ _csrf: csrfFrom(preferences.text), topics: ['investing', 'insurance'], action: 'save' })
      .expect(200);
    assert.match(saved.text, /Your topics are saved/);
    assert.deepEqual(await topicsOf(t, email), ['insurance', 'investing']);

    // No topic at all is refused with a message, and changes nothing.
    const empty = await agent.post(preferencesPath).type('form').send({ _csrf: csrfFrom(saved.text), action: 'save' });
    assert.equal(empty.status, 422);
    assert.match(empty.text, /Choose at least one topic/);
    assert.deepEqual(await topicsOf(t, email), ['insurance', 'investing']);

    const left = await agent.post(preferencesPath).type('form').send({ _csrf: csrfFrom(saved.text), action: 'unsubscribe' }).expect(200);
    assert.match(left.text, /You are unsubscribed/);
    assert.equal((await subscriberRow(t, email)).status, 'unsubscribed');

    // Replaying the confirm link after all this changes nothing.
    const replay = await agent.post(confirmPath).type('form').send({ _csrf: csrfFrom(confirmPage.text) });
    assert.equal(replay.status, 400);
    assert.match(replay.text, /already been used/);
    assert.equal((await subscriberRow(t, email)).status, 'unsubscribed');
  });

  it('subscribes through the JSON API with the same double opt-in', async () => {
    const email = 'api.reader@example.com';
    const response = await t.agent().post('/api/subscriptions').send({ email, consent: true }).expect(202);
    assert.deepEqual(response.body, { status: 'pending' });
    const row = await subscriberRow(t, email);
    assert.equal(row.consent_source, 'api');
    assert.deepEqual(await topicsOf(t, email), ['finance'], 'Finance is the default topic');
    await t.smtp.waitFor(sentTo(email));
    const agent = t.agent();
    const page = await agent.get(confirmLinkIn(t, email)).expect(200);
    await agent.post(confirmLinkIn(t, email)).type('form').send({ _csrf: csrfFrom(page.text) }).expect(200);
    assert.equal((await subscriberRow(t, email)).status, 'confirmed');
  });

  it('answers the same for new, pending and confirmed addresses, and mails only who needs it', async () => {
    const fresh = 'fresh@example.com';
    const pending = 'pending@example.com';
    const confirmed = 'confirmed@example.com';
    const api = t.agent();
    await api.post('/api/subscriptions').send({ email: pending, consent: true }).expect(202);
    await api.post('/api/subscriptions').send({ email: confirmed, consent: true }).expect(202);
    await t.smtp.waitFor((m) => sentTo(pending)(m) || sentTo(confirmed)(m), 2);
    const agent = t.agent();
    const page = await agent.get(confirmLinkIn(t, confirmed));
    await agent.post(confirmLinkIn(t, confirmed)).type('form').send({ _csrf: csrfFrom(page.text) }).expect(200);
    await t.smtp.waitFor((m) => sentTo(confirmed)(m) && /^Welcome/.test(m.subject ?? ''));
    t.smtp.messages.length = 0;

    const answers = [];
    for (const email of [fresh, pending, confirmed]) {
      const r = await t.agent().post('/api/subscriptions').send({ email, consent: true });
      answers.push({ status: r.status, body: r.body });
      const form = await subscribeByForm(t, { email, consent: 'on' });
      answers.push({ status: form.response.status, location: form.response.headers.location });
    }
    assert.deepEqual(answers.filter((_, i) => i % 2 === 0), Array(3).fill({ status: 202, body: { status: 'pending' } }));
    assert.deepEqual(answers.filter((_, i) => i % 2 === 1), Array(3).fill({ status: 303, location: '/newsletter/check-inbox' }));

    await t.smtp.waitFor(sentTo(fresh));
    await t.flushMail();
    assert.equal(t.smtp.to(fresh).length, 1, 'a new address gets one confirmation, not one per request');
    assert.equal(t.smtp.to(pending).length, 0, 'a pending address is not mailed again within 10 minutes');
    assert.equal(t.smtp.to(confirmed).length, 0, 'a confirmed address gets nothing new');
    assert.equal((await subscriberRow(t, confirmed)).status, 'confirmed');
  });

  it('mails a pending address again after ten minutes, and starts an unsubscribed one over', async () => {
    const email = 'comeback@example.com';
    await t.agent().post('/api/subscriptions').send({ email, consent: true }).expect(202);
    await t.smtp.waitFor(sentTo(email));
    await t.db('subscribers').where({ email }).update({ confirmation_sent_at: new Date(Date.now() - 11 * 60_000) });
    await t.agent().post('/api/subscriptions').send({ email, consent: true }).expect(202);
    await t.smtp.waitFor(sentTo(email), 2);

    const row = await subscriberRow(t, email);
    const unsubscribeLink = linkFor({ config: t.config }, row, 'unsubscribe');
    await t.agent().post(localPath(unsubscribeLink)).type('form').send('List-Unsubscribe=One-Click').expect(200);
    assert.equal((await subscriberRow(t, email)).status, 'unsubscribed');

    await t.agent().post('/api/subscriptions').send({ email, topics: ['insurance'], consent: true }).expect(202);
    assert.equal((await subscriberRow(t, email)).status, 'pending');
    assert.deepEqual(await topicsOf(t, email), ['insurance']);
    await t.smtp.waitFor(sentTo(email), 3);
  });

  it('unsubscribes at once on the RFC 8058 one-click POST, and only shows a button on GET', async () => {
    const email = 'oneclick@example.com';
    await t.agent().post('/api/subscriptions').send({ email, consent: true }).expect(202);
    await t.db('subscribers').where({ email }).update({ status: 'confirmed' });
    const path = localPath(linkFor({ config: t.config }, await subscriberRow(t, email), 'unsubscribe'));

    const page = await t.agent().get(path).expect(200);
    assert.match(page.text, /<button type="submit">Unsubscribe<\/button>/);
    assert.equal((await subscriberRow(t, email)).status, 'confirmed');

    // A form POST without the CSRF token and without the one-click body is refused.
    const forged = await t.agent().post(path).type('form').send('other=1');
    assert.equal(forged.status, 403);
    assert.equal((await subscriberRow(t, email)).status, 'confirmed');

    // Mailbox providers send the one-click body, sometimes as multipart; no cookie, no CSRF token.
    await t.agent().post(path).field('List-Unsubscribe', 'One-Click').expect(200);
    assert.equal((await subscriberRow(t, email)).status, 'unsubscribed');

    // Used again, the link says what is true: this address is unsubscribed (200, not an error).
    const again = await t.agent().post(path).type('form').send('List-Unsubscribe=One-Click');
    assert.equal(again.status, 200);
    assert.match(again.text, /You are unsubscribed/);
    const opened = await t.agent().get(path);
    assert.equal(opened.status, 200);
    assert.match(opened.text, /You are unsubscribed/);
    assert.doesNotMatch(opened.text, /<button/, 'nothing left to press');
  });

  it('refuses tampered, expired, wrong-purpose and missing tokens with a clear page and changes nothing', async () => {
    const email = 'tokens@example.com';
    await t.agent().post('/api/subscriptions').send({ email, consent: true }).expect(202);
    await t.smtp.waitFor(sentTo(email));
    const confirmPath = confirmLinkIn(t, email);
    const token = new URL(confirmPath, 'http://x').searchParams.get('token')!;
    const row = await subscriberRow(t, email);

    const [body, signature] = token.split('.');
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString());
    const forgedBody = Buffer.from(JSON.stringify({ ...payload, s: String(row.id + 1) })).toString('base64url');
    const cases: [string, RegExp][] = [
      [`${forgedBody}.${signature}`, /not valid/],
      [`${body}.${signature.slice(0, -2)}xx`, /not valid/],
      ['', /not valid/],
      [signToken(t.config.secret, { purpose: 'confirm', subject: String(row.id), nonce: row.token_nonce }, 60, Date.now() - 3600_000), /expired/],
      [signToken(t.config.secret, { purpose: 'unsubscribe', subject: String(row.id), nonce: row.token_nonce }, 60), /not valid/],
      [signToken('another-secret-0123456789abcdef', { purpose: 'confirm', subject: String(row.id), nonce: row.token_nonce }, 60), /not valid/],
    ];
    for (const [bad, message] of cases) {
      const page = await t.agent().get(`/newsletter/confirm?token=${encodeURIComponent(bad)}`);
      assert.equal(page.status, 400, bad);
      assert.match(page.text, message);
      const agent = t.agent();
      const form = await agent.get('/newsletter');
      const post = await agent.post(`/newsletter/confirm?token=${encodeURIComponent(bad)}`).type('form').send({ _csrf: csrfFrom(form.text) });
      assert.equal(post.status, 400);
    }
    const missing = await t.agent().get('/newsletter/confirm');
    assert.equal(missing.status, 400);
    for (const page of ['/newsletter/unsubscribe?token=abc', '/newsletter/preferences?token=abc.def']) {
      assert.equal((await t.agent().get(page)).status, 400);
    }
    assert.equal((await subscriberRow(t, email)).status, 'pending');
  });

  it('re-renders an invalid form with 422, each message beside its field and every value kept', async () => {
    const { response } = await subscribeByForm(t, { email: 'not-an-address', name: 'Kept <Name>', topics: ['banking'] });
    assert.equal(response.status, 422);
    assert.match(response.text, /There is a problem/);
    assert.match(response.text, /id="error-email">Enter an email address like name@example.com/);
    assert.match(response.text, /id="error-consent">Tick the box/);
    assert.match(response.text, /value="not-an-address"/);
    assert.match(response.text, /value="Kept &lt;Name&gt;"/, 'values are kept, and escaped');
    assert.match(response.text, /value="banking" checked/);
    assert.equal(await t.db('subscribers').where({ email: 'not-an-address' }).first(), undefined);
  });

  it('refuses every bad input with the error shape and stores nothing', async () => {
    const before = await t.db('subscribers').count({ n: '*' });
    const jobsBefore = await t.db('mail_jobs').count({ n: '*' });
    const long = 'a'.repeat(250) + '@example.com';
    const bad: [unknown, string][] = [
      [{ email: 'no-at-sign', consent: true }, 'email'],
      [{ email: long, consent: true }, 'email'],
      [{ email: 'x'.repeat(65) + '@example.com', consent: true }, 'email'],
      [{ email: 'victim@example.com\r\nBcc: all@example.com', consent: true }, 'email'],
      [{ email: 'ok@example.com', name: 'Evil\r\nBcc: x@example.com', consent: true }, 'name'],
      [{ email: 'ok@example.com', name: 'n'.repeat(121), consent: true }, 'name'],
      [{ email: 'ok@example.com', topics: ['no-such-topic'], consent: true }, 'topics'],
      [{ email: 'ok@example.com', topics: 'Bad Slug!', consent: true }, 'topics'],
      [{ email: 'ok@example.com' }, 'consent'],
      [{ email: 'ok@example.com', consent: false }, 'consent'],
      [{ email: 42, consent: true }, 'email'],
    ];
    for (const [body, field] of bad) {
      const r = await t.agent().post('/api/subscriptions').send(body as object);
      assert.equal(r.status, 422, JSON.stringify(body));
      assert.equal(r.body.error.code, 'validation_failed');
      assert.ok(r.body.error.fields[field], `${field} is named for ${JSON.stringify(body)}`);
    }

    const malformed = await t.agent().post('/api/subscriptions').set('Content-Type', 'application/json').send('{"email":');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'invalid_json');
    const wrongType = await t.agent().post('/api/subscriptions').set('Content-Type', 'text/plain').send('email=a@b.co');
    assert.equal(wrongType.status, 415);
    assert.equal(wrongType.body.error.code, 'unsupported_media_type');
    const huge = await t.agent().post('/api/subscriptions').send({ email: 'ok@example.com', consent: true, name: 'x'.repeat(200_000) });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.error.code, 'payload_too_large');

    // Forms: a post without the CSRF token, and one with the honeypot filled.
    const noCsrf = await t.agent().post('/newsletter/subscribe').type('form').send({ email: 'csrf@example.com', consent: 'on' });
    assert.equal(noCsrf.status, 403);
    const bot = await subscribeByForm(t, { email: 'bot@example.com', consent: 'on', homepage: 'http://spam.example' });
    assert.equal(bot.response.status, 303, 'a bot sees the usual answer');
    const wrongFormType = await t.agent().post('/newsletter/subscribe').set('Content-Type', 'application/json').send({ email: 'j@example.com' });
    assert.equal(wrongFormType.status, 415);

    assert.deepEqual(await t.db('subscribers').count({ n: '*' }), before);
    assert.deepEqual(await t.db('mail_jobs').count({ n: '*' }), jobsBefore);
  });
});

describeEachEngine('public rate limit', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine, { PUBLIC_RATE_LIMIT: '3' });
  });
  after(async () => {
    await t.close();
  });

  it('answers 429 with Retry-After past PUBLIC_RATE_LIMIT posts a minute, but never to one-click unsubscribes', async () => {
    for (let i = 0; i < 3; i++) {
      await t.agent().post('/api/subscriptions').send({ email: `flood${i}@example.com`, consent: true }).expect(202);
    }
    const limited = await t.agent().post('/api/subscriptions').send({ email: 'flood9@example.com', consent: true });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, 'rate_limited');
    assert.ok(Number(limited.headers['retry-after']) > 0);
    assert.equal(await t.db('subscribers').where({ email: 'flood9@example.com' }).first(), undefined);

    const form = await t.agent().post('/newsletter/subscribe').type('form').send({ email: 'x@example.com' });
    assert.equal(form.status, 429, 'forms share the same limit');
    assert.match(form.text, /Too many requests/);

    const row = await t.db('subscribers').where({ email: 'flood0@example.com' }).first();
    const oneClick = await t.agent().post(localPath(linkFor({ config: t.config }, row, 'unsubscribe'))).type('form').send('List-Unsubscribe=One-Click');
    assert.equal(oneClick.status, 200);
  });
});
