import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generate } from 'otplib';
import type { Page } from 'playwright-core';
import { staffLinkUrl } from '../src/staff/links';
import { addStaff } from '../src/staff/service';
import { OPERATOR } from '../src/audit/schema';
import { startTestApp, type TestApp } from './helpers/app';
import { browserSkip, openBrowserOn, type BrowserOnApp } from './helpers/browser';
import { pageChecks } from './helpers/page-checks';
import { createStaff, STAFF_PASSWORD } from './helpers/staff';

/**
 * The console's sign-in, two-step sign-in, lockout and role refusals in Chromium, with
 * axe-core (WCAG 2.2 AA) and html-validate on every page on the way. Judges output, so SQLite only.
 */
describe('staff console in Chromium: sign-in, two-step, lockout, roles', { skip: browserSkip }, () => {
  let t: TestApp;
  let chromium: BrowserOnApp;
  before(async () => {
    t = await startTestApp({ name: 'sqlite' });
    chromium = await openBrowserOn(t.app);
  });
  after(async () => {
    await chromium?.close();
    await t?.close();
  });

  const checks = pageChecks();
  const newPage = async (viewport?: { width: number; height: number }): Promise<Page> => checks.watch(await chromium.newPage(viewport));
  const assertClean = checks.assertClean;

  async function signInWith(page: Page, email: string, password: string) {
    await page.goto(chromium.url + '/admin');
    assert.match(page.url(), /\/admin\/login$/, 'the console sends a visitor to sign in');
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('a new admin follows the welcome link, sets a password, and works in the console', async () => {
    const { staff } = await addStaff({ db: t.db, config: t.config }, { email: 'amara.okoye@example.com', role: 'admin', name: 'Amara Okoye' }, OPERATOR);
    const link = staffLinkUrl(t.config, staff, 'staff-welcome').replace(t.config.baseUrl, chromium.url);
    const page = await newPage({ width: 1280, height: 900 });
    await page.goto(link);
    await assertClean(page);
    await page.getByLabel('New password', { exact: true }).fill('a long and lovely password');
    await page.getByLabel('New password again').fill('a long and lovely password');
    await page.getByRole('button', { name: 'Set password and sign in' }).click();
    assert.match(page.url(), /\/admin$/);
    assert.match(await page.locator('.flash').innerText(), /Your password is set/);
    await assertClean(page);

    for (const path of ['/admin/account', '/admin/account/password', '/admin/staff', '/admin/audit']) {
      await page.goto(chromium.url + path);
      await assertClean(page);
    }
    // Adding a judge shows the welcome link once.
    await page.goto(chromium.url + '/admin/staff');
    await page.getByLabel('Email address').fill('judge.one@example.com');
    await page.getByLabel('Role', { exact: true }).selectOption('judge');
    await page.getByRole('button', { name: 'Add and send welcome link' }).click();
    assert.match(await page.locator('.flash').innerText(), /judge\.one@example\.com/);
    await assertClean(page);
    await page.close();
  });

  it('two-step sign-in: set up by scanning (the key), then a code is asked after the password', async () => {
    await createStaff(t, 'kofi.mensah@example.com', 'editor');
    const page = await newPage();
    await signInWith(page, 'kofi.mensah@example.com', STAFF_PASSWORD);
    await page.goto(chromium.url + '/admin/account');
    await page.getByRole('link', { name: 'Set up two-step sign-in' }).click();
    await assertClean(page);
    assert.equal(await page.locator('.qr svg').count(), 1);
    const secret = (await page.locator('.secret').innerText()).trim();
    await page.getByLabel('Code from the app').fill(await generate({ secret }));
    await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
    assert.equal(await page.locator('.codes li').count(), 10);
    await assertClean(page);
    await page.getByRole('button', { name: 'Sign out' }).click();

    await signInWith(page, 'kofi.mensah@example.com', STAFF_PASSWORD);
    const code = page.getByLabel('Code');
    assert.equal(await code.count(), 1, 'the password is followed by a code');
    await assertClean(page);
    // A fresh step's code: the one used at set-up cannot be used again.
    await t.db('staff_users').where({ email: 'kofi.mensah@example.com' }).update({ totp_last_step: 0 });
    await code.fill(await generate({ secret }));
    await page.getByRole('button', { name: 'Continue' }).click();
    assert.match(page.url(), /\/admin$/);
    await page.close();
  });

  it('locks sign-in after five failures and says so, and refuses a screen the role may not open', async () => {
    await createStaff(t, 'lock.me@example.com', 'judge');
    const page = await newPage();
    for (let i = 0; i < 5; i++) await signInWith(page, 'lock.me@example.com', `wrong password ${i}!`);
    await signInWith(page, 'lock.me@example.com', STAFF_PASSWORD);
    assert.match(await page.locator('[role=alert]').innerText(), /Sign-in is paused for 15 minutes/);
    await assertClean(page);

    await t.db('staff_login_failures').delete();
    await signInWith(page, 'lock.me@example.com', STAFF_PASSWORD);
    assert.match(page.url(), /\/admin\/judging$/, 'a judge lands on their list of entries to judge');
    const refused = await page.goto(chromium.url + '/admin/staff');
    assert.equal(refused?.status(), 403);
    await assertClean(page);
    await page.close();
  });
});
