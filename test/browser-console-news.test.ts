import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page, Response } from 'playwright-core';
import { startTestApp, type TestApp } from './helpers/app';
import { axeViolations } from './helpers/axe';
import { browserSkip, openBrowserOn, type BrowserOnApp } from './helpers/browser';
import { fixture, startFeedServer, type FeedServer } from './helpers/feed-server';
import { htmlFindings } from './helpers/html-validate';
import { addArticles, addConfirmedSubscribers } from './helpers/sending';
import { createStaff, STAFF_PASSWORD } from './helpers/staff';

/**
 * The newsroom's console screens in Chromium: an editor signs in on the real login page,
 * every screen passes axe-core (WCAG 2.2 AA) and html-validate, and a real send to a few
 * hundred subscribers (SEND_RATE=50, slow enough to watch) is started from the compose page
 * and watched on its page, its counts rising without a reload, then paused from there.
 * A picture of the send in progress at 1280 px goes to test-artifacts/screenshots/ (and,
 * with UPDATE_SCREENSHOTS=1, to test/screenshots/console-send.png for the README).
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ARTIFACTS = path.join(root, 'test-artifacts', 'screenshots');
const README_PICTURES = path.join(root, 'test', 'screenshots');
const READERS = 300;

describe('console news screens in Chromium: a live send watched and paused', { skip: browserSkip }, () => {
  let t: TestApp;
  let chromium: BrowserOnApp;
  let feeds: FeedServer;
  let page: Page;
  // html-validate judges the HTML the server sent (the last document the tab loaded), not the live DOM.
  let lastDocument: Response | null = null;

  before(async () => {
    // FEED_ALLOW_PRIVATE: the feed is served on loopback (issue 9's address checks refuse it otherwise).
    t = await startTestApp({ name: 'sqlite' }, { SEND_RATE: '50', FEED_ALLOW_PRIVATE: '1' });
    feeds = await startFeedServer();
    feeds.serveXml('/markets.xml', fixture('markets.rss.xml'));
    await createStaff(t, 'nadia.news@example.com', 'editor', STAFF_PASSWORD);
    await addArticles(t, 'insurance', 3, 'Cover');
    await addConfirmedSubscribers(t, Array.from({ length: READERS }, (_, i) => ({ email: `reader${i}@example.com`, name: `Reader ${i}`, topics: ['insurance'] })));
    chromium = await openBrowserOn(t.app);
    page = await chromium.newPage({ width: 1280, height: 900 });
    page.on('response', (r) => {
      if (r.request().isNavigationRequest() && r.request().frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400)) lastDocument = r;
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await chromium?.close();
    await feeds?.close();
    await t?.close();
  });

  async function assertClean(what: string) {
    assert.deepEqual(await axeViolations(page), [], `axe on ${what}`);
    assert.deepEqual(await htmlFindings(await lastDocument!.text()), [], `html-validate on ${what}`);
  }

  const open = async (pathAndQuery: string) => {
    const response = await page.goto(chromium.url + pathAndQuery);
    assert.equal(response?.status(), 200, pathAndQuery);
  };

  it('signs in through the login page; each screen’s main action, with axe and html-validate on every page', async () => {
    await page.goto(chromium.url + '/admin/digests');
    assert.match(page.url(), /\/admin\/login/);
    await page.getByLabel('Email address').fill('nadia.news@example.com');
    await page.getByLabel('Password').fill(STAFF_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/admin(\/digests)?$/);

    await open('/admin/subscribers?q=reader1');
    assert.equal(await page.locator('table.list tbody tr').count(), 50, 'a page of matches');
    await assertClean('the subscribers list');

    // Import: the preview, then the confirmation.
    await page.getByRole('link', { name: 'Import a list' }).click();
    await assertClean('the import form');
    const csv = 'email,name,topics\nimported.one@example.com,Imported One,finance\nbroken,,finance\n';
    await page.getByLabel('CSV file').setInputFiles({ name: 'list.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Check the list' }).click();
    assert.equal(await page.locator('h1').innerText(), 'Check the import');
    await assertClean('the import preview');
    await page.getByRole('button', { name: 'Import 1 subscriber' }).click();
    assert.match(await page.locator('.flash').innerText(), /^Imported: 1 added, 0 updated, 1 skipped\./);

    // Erasure, refused until the address is typed.
    await open('/admin/subscribers?q=imported.one');
    await page.getByRole('link', { name: 'Erase imported.one@example.com' }).click();
    await assertClean('the erase confirmation');
    await page.getByRole('button', { name: 'Erase permanently' }).click();
    assert.match(await page.locator('.error-summary').innerText(), /Type the address exactly/);
    await assertClean('the erase confirmation with its error');
    await page.getByLabel('Type the address to confirm').fill('imported.one@example.com');
    await page.getByRole('button', { name: 'Erase permanently' }).click();
    assert.match(await page.locator('.flash').innerText(), /The subscriber is erased/);

    await open('/admin/articles');
    await assertClean('the articles list');
    await page.getByRole('link', { name: 'Add an article' }).click();
    await assertClean('the article form');
    await page.getByRole('button', { name: 'Save article' }).click();
    assert.match(await page.locator('.error-summary').innerText(), /title must not be empty/);
    await assertClean('the article form with its errors');

    await open('/admin/feeds');
    await assertClean('the feeds screen (empty)');
    await page.getByLabel('Feed address (URL)').fill(feeds.url('/markets.xml'));
    await page.getByLabel('Topic').selectOption('investing');
    await page.getByRole('button', { name: 'Register feed' }).click();
    await page.getByRole('button', { name: /^Poll now/ }).click();
    assert.equal(await page.locator('.flash').innerText(), 'Polled: 3 new articles, 0 updated.');
    await assertClean('the feeds screen with a feed');
  });

  it('composes with the preview in the page, confirms the recipients, and watches the send live, then pauses it', async () => {
    await open('/admin/digests');
    await assertClean('the digests list (empty)');
    await page.getByRole('link', { name: 'Compose a digest' }).click();
    await page.getByLabel('Topic').selectOption('insurance');
    await page.getByLabel('Subject').fill('Insurance this week');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.waitForURL(/\/admin\/digests\/new\?topic=insurance/);
    const preview = page.frameLocator('iframe.digest-preview');
    await preview.getByText(/^Cover \d+: markets in insurance$/).first().waitFor();
    await assertClean('the compose page with its preview');
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-compose-1280.png'), fullPage: true });

    await page.getByRole('button', { name: 'Send…' }).click();
    assert.equal(await page.locator('h1').innerText(), `Send to ${READERS} recipients?`);
    await assertClean('the send confirmation');
    await page.getByRole('button', { name: `Send to ${READERS} recipients` }).click();
    await page.waitForURL(/\/admin\/digests\/[A-Za-z0-9_-]{16}$/);
    const id = page.url().split('/').pop()!;

    // Watched without reloading: a mark on the window survives only while the document does.
    await page.evaluate('window.sameDocument = true');
    const sent = async () => Number(await page.locator('[data-field="sent"]').innerText());
    await page.waitForFunction(() => Number(document.querySelector('[data-field="sent"]')!.textContent) > 0);
    const first = await sent();
    await page.waitForFunction((n) => Number(document.querySelector('[data-field="sent"]')!.textContent) > n, first);
    const second = await sent();
    assert.ok(second > first && second < READERS, `the count rose from ${first} to ${second} while the send went on`);
    assert.equal(await page.evaluate('window.sameDocument'), true, 'the page was not reloaded');
    const bar = await page.locator('#send-progress').evaluate((el: HTMLProgressElement) => ({ value: el.value, max: el.max }));
    assert.equal(bar.max, READERS);
    assert.ok(bar.value >= second, 'the bar moves with the counts');

    await page.screenshot({ path: path.join(ARTIFACTS, 'console-send-1280.png'), fullPage: true });
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      mkdirSync(README_PICTURES, { recursive: true });
      await page.screenshot({ path: path.join(README_PICTURES, 'console-send.png') });
    }
    await assertClean('the send’s page');

    await page.getByRole('button', { name: 'Pause' }).click();
    await page.waitForURL(new RegExp(`/admin/digests/${id}$`));
    assert.match(await page.locator('.flash').innerText(), /The send is paused/);
    assert.equal(await page.locator('[data-field="status"]').innerText(), 'paused');
    assert.equal(await page.getByRole('button', { name: 'Resume' }).isVisible(), true);
    assert.equal(await page.getByRole('button', { name: 'Pause' }).isVisible(), false);
    const digest = await t.db('digests').where({ id }).first();
    assert.equal(digest.status, 'paused');
    const counts = await t.admin('get', `/api/admin/digests/${id}`).expect(200);
    assert.ok(counts.body.counts.queued > 0, 'recipients are left for a resume');

    await open('/admin/digests');
    await assertClean('the digests list');
  });
});
