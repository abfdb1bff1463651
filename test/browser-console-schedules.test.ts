import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page, Response } from 'playwright-core';
import { createLogger } from '../src/logger';
import { runDueSchedules } from '../src/schedules/runner';
import { startTestApp, type TestApp } from './helpers/app';
import { axeViolations } from './helpers/axe';
import { browserSkip, openBrowserOn, type BrowserOnApp } from './helpers/browser';
import { htmlFindings } from './helpers/html-validate';
import { addArticles, addConfirmedSubscribers } from './helpers/sending';
import { createStaff, STAFF_PASSWORD } from './helpers/staff';

/**
 * The Schedules screen in Chromium: an editor adds a schedule (first with mistakes), sees
 * its next run on the schedule's clock and its last run linked to the digest it sent, edits
 * it and deletes it after the confirmation page; axe-core and html-validate on every page.
 */
describe('console schedules screen in Chromium', { skip: browserSkip }, () => {
  let t: TestApp;
  let chromium: BrowserOnApp;
  let page: Page;
  let lastDocument: Response | null = null;

  before(async () => {
    t = await startTestApp({ name: 'sqlite' });
    await t.workers.schedules.stop(); // the test runs the occurrence itself
    await createStaff(t, 'sam.schedules@example.com', 'editor', STAFF_PASSWORD);
    await addArticles(t, 'fintech', 2, 'Ledger');
    await addConfirmedSubscribers(t, [{ email: 'reader@browser-schedules.example', topics: ['fintech'] }]);
    chromium = await openBrowserOn(t.app);
    page = await chromium.newPage({ width: 1280, height: 900 });
    page.on('response', (r) => {
      if (r.request().isNavigationRequest() && r.request().frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400)) lastDocument = r;
    });
  });
  after(async () => {
    await chromium?.close();
    await t?.close();
  });

  async function assertClean(what: string) {
    assert.deepEqual(await axeViolations(page), [], `axe on ${what}`);
    assert.deepEqual(await htmlFindings(await lastDocument!.text()), [], `html-validate on ${what}`);
  }

  it('adds, shows, edits and deletes a schedule, each page accessible and valid', async () => {
    await page.goto(chromium.url + '/admin/schedules');
    await page.getByLabel('Email address').fill('sam.schedules@example.com');
    await page.getByLabel('Password').fill(STAFF_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/admin(\/schedules)?$/);
    await page.goto(chromium.url + '/admin/schedules');
    await assertClean('the schedules list (empty)');

    await page.getByRole('link', { name: 'New schedule' }).click();
    await assertClean('the new schedule form');
    await page.getByLabel('When (cron)').fill('0 7 * *');
    await page.getByRole('button', { name: 'Save schedule' }).click();
    assert.match(await page.locator('.error-summary').innerText(), /Choose at least one topic[\s\S]*exactly five fields/);
    await assertClean('the form with its errors');

    await page.getByLabel('Fintech').check();
    await page.getByLabel('When (cron)').fill('30 6 * * *');
    await page.getByLabel('Time zone').selectOption('America/New_York');
    await page.getByLabel(/Subject/).fill('Fintech at dawn');
    await page.getByRole('button', { name: 'Save schedule' }).click();
    await page.waitForURL(/\/admin\/schedules$/);
    assert.match(await page.locator('.flash').innerText(), /Schedule saved\. Next run: \w+day, \d+ \w+ \d{4}, 06:30 GMT-[45]/);
    await assertClean('the list with a schedule');

    // The occurrence comes: the list shows it sent, linked to the digest.
    const [row] = await t.db('schedules').select('id', 'next_run_at');
    const at = new Date(Number(row.next_run_at));
    await addArticles(t, 'fintech', 1, 'Fresh');
    await t.db('articles').update({ published_at: new Date(at.getTime() - 3_600_000) });
    await runDueSchedules({ db: t.db, config: t.config, logger: createLogger('silent'), deliveryQueued: () => t.workers.delivery.kick() }, at);
    await page.reload();
    await page.getByRole('link', { name: 'sent' }).click();
    await page.waitForURL(/\/admin\/digests\/[A-Za-z0-9_-]{16}$/);
    assert.equal(await page.locator('h1').innerText(), 'Fintech at dawn');

    await page.goto(chromium.url + '/admin/schedules');
    await page.getByRole('link', { name: /^Edit/ }).click();
    assert.equal(await page.locator('h1').innerText(), 'Edit schedule');
    assert.equal(await page.locator('table.list tbody tr').count(), 1, 'the run is listed');
    await assertClean('the edit form with its runs');
    await page.getByLabel('Banking').check();
    await page.getByRole('button', { name: 'Save schedule' }).click();
    await page.waitForURL(/\/admin\/schedules$/);
    assert.match(await page.locator('table.list tbody').innerText(), /Banking, Fintech|Fintech, Banking/);

    await page.getByRole('link', { name: /^Delete/ }).click();
    assert.equal(await page.locator('h1').innerText(), 'Delete this schedule?');
    await assertClean('the delete confirmation');
    await page.getByRole('button', { name: 'Delete schedule' }).click();
    await page.waitForURL(/\/admin\/schedules$/);
    assert.match(await page.locator('.flash').innerText(), /The schedule is deleted/);
    assert.equal(Number((await t.db('schedules').count({ n: '*' }))[0].n), 0);
  });
});
