import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from './helpers/app';
import { browserSkip, openBrowserOn, type BrowserOnApp } from './helpers/browser';
import { createProgramme } from './helpers/factories';
import { pageChecks } from './helpers/page-checks';
import { createRound, enter, type Round } from './helpers/judging';
import { createStaff, STAFF_PASSWORD } from './helpers/staff';

/**
 * The judging screens in Chromium: a judge's list, a scorecard (empty, with errors, saved,
 * submitted and locked), a conflict, the admin's leaderboard and an entry's scorecards, and
 * the public winners page, each with axe-core (WCAG 2.2 AA) and html-validate clean.
 */
describe('judging in Chromium: scorecards, leaderboard, winners', { skip: browserSkip }, () => {
  let t: TestApp;
  let chromium: BrowserOnApp;
  let slug: string;
  let round: Round;
  const refs: string[] = [];
  before(async () => {
    t = await startTestApp({ name: 'sqlite' });
    chromium = await openBrowserOn(t.app);
    slug = (await createProgramme(t)).slug;
    refs.push(await enter(t, slug, { organisation: 'Browser Bank', nominee: 'The Browser Team' }));
    refs.push(await enter(t, slug, { organisation: 'Second Bank' }));
    round = await createRound(t, slug, { categories: ['best-bank'] });
    await createStaff(t, 'browser.judge@example.com', 'judge');
    await createStaff(t, 'backup.judge@example.com', 'judge');
    await createStaff(t, 'browser.admin@example.com', 'admin');
    await t.admin('post', `/api/admin/rounds/${round.id}/assignments`).send({ judges: ['browser.judge@example.com'], judgesPerEntry: 1 }).expect(200);
    // On the panel too, to take over an entry on a conflict.
    await t.admin('post', `/api/admin/rounds/${round.id}/assignments/${refs[0]}/backup.judge@example.com`).expect(201);
  });
  after(async () => {
    await chromium?.close();
    await t?.close();
  });

  const checks = pageChecks();
  const assertClean = checks.assertClean;
  async function newPage(): Promise<Page> {
    const page = checks.watch(await chromium.newPage({ width: 1280, height: 900 }));
    page.on('dialog', (dialog) => void dialog.accept()); // the data-confirm prompts
    return page;
  }

  async function signIn(page: Page, email: string) {
    await page.goto(chromium.url + '/admin/login');
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password').fill(STAFF_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('a judge scores an entry: list, errors beside their fields, draft, submit, locked; declares a conflict on another', async () => {
    const page = await newPage();
    await signIn(page, 'browser.judge@example.com');
    assert.match(page.url(), /\/admin\/judging$/, 'a judge lands on their list');
    assert.match(await page.locator('main').innerText(), /0 of 2 submitted/);
    await assertClean(page);

    await page.getByRole('link', { name: refs[0] }).click();
    assert.match(await page.locator('h1').innerText(), new RegExp(`Scorecard for ${refs[0]}`));
    await assertClean(page);

    await page.getByLabel('Innovation').fill('11');
    await page.getByRole('button', { name: 'Submit scorecard' }).click();
    assert.match(await page.locator('.error-summary').innerText(), /Innovation: Score Innovation with a whole number from 1 to 10/);
    assert.equal(await page.getByLabel('Innovation').getAttribute('aria-invalid'), 'true');
    await assertClean(page);

    await page.getByLabel('Innovation').fill('8');
    await page.getByRole('button', { name: 'Save draft' }).click();
    assert.match(await page.locator('.flash').innerText(), /draft .* is saved/);
    assert.equal(await page.getByLabel('Innovation').inputValue(), '8');
    await page.getByLabel('Impact').fill('4');
    await page.getByLabel('Comment').fill('Clear results, well evidenced.');
    await page.getByRole('button', { name: 'Submit scorecard' }).click();
    assert.match(await page.locator('.flash').innerText(), /is submitted/);
    assert.match(await page.locator('main').innerText(), /1 of 2 submitted/);
    await assertClean(page);

    await page.getByRole('link', { name: refs[0] }).click();
    assert.match(await page.locator('main').innerText(), /locked/);
    assert.equal(await page.getByRole('button', { name: 'Submit scorecard' }).count(), 0);
    await assertClean(page);

    await page.goto(`${chromium.url}/admin/judging/${round.id}/${refs[1]}`);
    await page.getByLabel('Reason').fill('My brother works at Second Bank.');
    await page.getByRole('button', { name: 'Declare a conflict of interest' }).click();
    assert.match(await page.locator('.flash').innerText(), /conflict of interest/);
    assert.equal(await page.getByRole('link', { name: refs[1] }).count(), 0, 'the entry left the list');
    await assertClean(page);
    await page.close();
  });

  it('an admin reads the leaderboard and an entry’s scorecards, reopens one, shortlists; the winners page after the release', async () => {
    const page = await newPage();
    await signIn(page, 'browser.admin@example.com');
    await page.goto(`${chromium.url}/admin/judging`);
    await assertClean(page);
    await page.getByRole('link', { name: 'First round' }).click();
    // Innovation 8 of 1–10 (weight 2) and Impact 4 of 0–5 (weight 1): (2 × 77.78 + 80) / 3 = 78.52.
    assert.match(await page.locator('table').first().innerText(), /78\.52/);
    await assertClean(page);

    await page.getByRole('link', { name: refs[0] }).click();
    assert.match(await page.locator('main').innerText(), /Clear results, well evidenced\./);
    await assertClean(page);
    await page.getByRole('button', { name: /Reopen/ }).click();
    assert.match(await page.locator('.flash').innerText(), /reopened/);
    await assertClean(page);

    await page.getByRole('link', { name: 'Back to the leaderboard' }).click();
    await page.getByRole('button', { name: `Shortlist ${refs[0]}` }).click();
    assert.match(await page.locator('.flash').innerText(), /shortlisted/);
    await page.getByRole('button', { name: `Mark winner ${refs[0]}` }).click();
    await assertClean(page);

    await t.admin('post', `/api/admin/awards/${slug}/results`).send({ releaseAt: 'now' }).expect(200);
    await page.goto(`${chromium.url}/awards/${slug}`);
    await page.getByRole('link', { name: 'See the winners and the shortlist' }).click();
    assert.match(await page.locator('main').innerText(), /Winner\s+Browser Bank\s+The Browser Team/);
    await assertClean(page);
    await page.close();
  });
});
