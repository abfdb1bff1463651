import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Response } from 'supertest';
import { csrfFrom } from './helpers/app';
import { htmlFindings, type HtmlSource } from './helpers/html-validate';
import { linkIn, startDemoSite, type DemoSite } from './helpers/journeys';

/**
 * html-validate (recommended rules, .htmlvalidate.mjs) on every page a person opens, each
 * reached the way they reach it: token pages through the links in the emails the app sent.
 * It judges output, not storage, so it runs on SQLite only.
 */
describe('every public page is valid HTML (html-validate)', () => {
  let app: DemoSite;
  before(async () => {
    app = await startDemoSite();
  });
  after(async () => {
    await app?.t.close();
  });

  async function assertValid(response: Response, status: number, source: HtmlSource = 'page') {
    const page = `${response.status} "${/<title>([^<]*)<\/title>/.exec(response.text)?.[1]}"`;
    assert.equal(response.status, status, `answered ${page}`);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.deepEqual(await htmlFindings(response.text, source), [], `html-validate on ${page}`);
  }

  it('home, awards, an open and a closed call for entries', async () => {
    const client = app.t.agent();
    for (const path of ['/', '/awards', `/awards/${app.demo.open}`, `/awards/${app.demo.closed}`]) await assertValid(await client.get(path), 200);
  });

  it('the entry form, empty and after a failed submit', async () => {
    const client = app.t.agent();
    const form = await client.get(`/awards/${app.demo.open}/enter?category=${app.demo.category}`);
    await assertValid(form, 200);
    const submissionId = /name="submissionId" value="([^"]+)"/.exec(form.text)![1];
    const failed = await client
      .post(`/awards/${app.demo.open}/entries`)
      .field('_csrf', csrfFrom(form.text))
      .field('submissionId', submissionId)
      .field('organisation', 'Half Done Ltd')
      .field('website', 'not a website');
    await assertValid(failed, 422);
    assert.match(failed.text, /There is a problem/);
  });

  it('the receipt, opened from the confirmation email', async () => {
    await assertValid(await app.t.agent().get(linkIn(app.mail.entry, '/entries/')), 200);
  });

  it('the newsletter signup, its error state and "check your inbox"', async () => {
    const client = app.t.agent();
    const signup = await client.get('/newsletter');
    await assertValid(signup, 200);
    const failed = await client.post('/newsletter/subscribe').type('form').send({ _csrf: csrfFrom(signup.text), email: 'not-an-address' });
    await assertValid(failed, 422);
    await assertValid(await client.get('/newsletter/check-inbox'), 200);
  });

  it('confirm, opened from the subscription email, then the pages after it', async () => {
    const client = app.t.agent();
    const confirmPath = linkIn(app.mail.subscription, '/newsletter/confirm?token=');
    const page = await client.get(confirmPath);
    await assertValid(page, 200);
    await assertValid(await client.post(confirmPath).type('form').send({ _csrf: csrfFrom(page.text) }), 200);
    const again = await client.get(confirmPath);
    await assertValid(again, 200); // a used link says what is true
    assert.match(again.text, /You are subscribed/);
    await assertValid(await app.t.agent().get('/newsletter/archive'), 200);
  });

  it('preferences and unsubscribe, opened from the digest', async () => {
    const client = app.t.agent();
    const preferencesPath = linkIn(app.mail.digest, '/newsletter/preferences?token=');
    const preferences = await client.get(preferencesPath);
    await assertValid(preferences, 200);
    const csrf = csrfFrom(preferences.text);
    await assertValid(await client.post(preferencesPath).type('form').send({ _csrf: csrf, action: 'save', topics: ['finance', 'investing'] }), 200);
    await assertValid(await client.post(preferencesPath).type('form').send({ _csrf: csrf, action: 'save' }), 422);

    const unsubscribePath = linkIn(app.mail.digest, '/newsletter/unsubscribe?token=');
    const unsubscribe = await client.get(unsubscribePath);
    await assertValid(unsubscribe, 200);
    await assertValid(await client.post(unsubscribePath).type('form').send({ _csrf: csrfFrom(unsubscribe.text) }), 200);
  });

  it('the digest web view, opened from the digest ("view in browser")', async () => {
    await assertValid(await app.t.agent().get(linkIn(app.mail.digest, '/digests/')), 200, 'email');
  });

  it('the page for an address that leads nowhere', async () => {
    await assertValid(await app.t.agent().get('/awards/no-such-programme'), 404);
  });
});
