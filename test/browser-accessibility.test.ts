import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { axeViolations } from './helpers/axe';
import { browserSkip, openBrowserOn, type BrowserOnApp } from './helpers/browser';
import { linkIn, startDemoSite, type DemoSite } from './helpers/journeys';

/**
 * axe-core in headless Chromium on every public page, at WCAG 2.2 AA, each page reached as
 * a person reaches it: forms filled and sent in the browser, token pages opened from the
 * links in the emails the app sent. It judges output, not storage: SQLite only.
 */
describe('every public page meets WCAG 2.2 AA (axe-core in Chromium)', { skip: browserSkip }, () => {
  let app: DemoSite;
  let chromium: BrowserOnApp;
  before(async () => {
    app = await startDemoSite();
    chromium = await openBrowserOn(app.t.app);
  });
  after(async () => {
    await chromium?.close();
    await app?.t.close();
  });

  async function assertAccessible(page: Page) {
    const title = await page.title();
    assert.deepEqual(await axeViolations(page), [], `axe on "${title}"`);
    return title;
  }

  async function open(page: Page, path: string, status = 200) {
    const response = await page.goto(chromium.url + path);
    assert.equal(response?.status(), status, path);
  }

  it('home, awards, an open and a closed call for entries', async () => {
    const page = await chromium.newPage();
    for (const path of ['/', '/awards', `/awards/${app.demo.open}`, `/awards/${app.demo.closed}`]) {
      await open(page, path);
      await assertAccessible(page);
    }
    await page.close();
  });

  it('the entry form, and its error state after a failed submit', async () => {
    const page = await chromium.newPage();
    await open(page, `/awards/${app.demo.open}/enter`);
    await assertAccessible(page);
    await page.getByLabel('Organisation’s name').fill('Half Done Ltd');
    await page.getByLabel('Organisation’s website').fill('not a website');
    await page.getByRole('button', { name: 'Submit entry' }).click();
    await page.waitForSelector('#error-summary');
    await assertAccessible(page);
    await page.close();
  });

  it('the receipt, opened from the confirmation email', async () => {
    const page = await chromium.newPage();
    await open(page, linkIn(app.mail.entry, '/entries/'));
    await assertAccessible(page);
    await page.close();
  });

  it('the newsletter signup, its error state and "check your inbox"', async () => {
    const page = await chromium.newPage();
    await open(page, '/newsletter');
    await assertAccessible(page);
    await page.getByLabel('Email address').fill('not-an-address');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.waitForSelector('#error-summary');
    await assertAccessible(page);
    await page.getByLabel('Email address').fill('ines.moreau@example.net');
    await page.getByLabel(/I agree/).check();
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.waitForURL(/check-inbox/);
    await assertAccessible(page);
    await page.close();
  });

  it('confirm, opened from the subscription email, and the page after it', async () => {
    const page = await chromium.newPage();
    await open(page, linkIn(app.mail.subscription, '/newsletter/confirm?token='));
    await assertAccessible(page);
    await page.getByRole('button', { name: 'Confirm subscription' }).click();
    await page.getByRole('heading', { name: 'You are subscribed' }).waitFor();
    await assertAccessible(page);
    await page.close();
  });

  it('preferences and unsubscribe, opened from the digest', async () => {
    const page = await chromium.newPage();
    await open(page, linkIn(app.mail.digest, '/newsletter/preferences?token='));
    await assertAccessible(page);
    for (const box of await page.getByRole('checkbox').all()) await box.uncheck();
    await page.getByRole('button', { name: 'Save topics' }).click();
    await page.waitForSelector('#error-summary');
    await assertAccessible(page);

    await open(page, linkIn(app.mail.digest, '/newsletter/unsubscribe?token='));
    await assertAccessible(page);
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await page.getByRole('heading', { name: 'You are unsubscribed' }).waitFor();
    await assertAccessible(page);
    await page.close();
  });

  it('the digest web view, opened from the digest ("view in browser")', async () => {
    const page = await chromium.newPage();
    await open(page, linkIn(app.mail.digest, '/digests/'));
    await assertAccessible(page);
    await page.close();
  });

  it('a link that is not valid, and an address that leads nowhere', async () => {
    const page = await chromium.newPage();
    await open(page, '/newsletter/confirm?token=forged.token', 400);
    await assertAccessible(page);
    await open(page, '/awards/no-such-programme', 404);
    await assertAccessible(page);
    await page.close();
  });
});
