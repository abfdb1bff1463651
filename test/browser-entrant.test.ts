import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { localPath, startTestApp, type TestApp } from './helpers/app';
import { browserSkip, openBrowserOn, type BrowserOnApp } from './helpers/browser';
import { createProgramme, PDF, statementOf } from './helpers/factories';
import { pageChecks } from './helpers/page-checks';
import { linksIn, sentTo } from './helpers/smtp';

/**
 * The entrant's new pages in Chromium: a draft saved and continued, the receipt and its
 * print copy, "my entries" from sign-in to the list, a locked entry. Each page is axe-core
 * and html-validate clean and photographed into test/screenshots/ at 390 px.
 */
const PICTURES = path.join(import.meta.dirname, 'screenshots');

describe('the entrant’s pages in a real browser', { skip: browserSkip }, () => {
  let t: TestApp;
  let chromium: BrowserOnApp;
  let slug: string;
  const checks = pageChecks();
  before(async () => {
    t = await startTestApp({ name: 'sqlite' });
    slug = (await createProgramme(t, { code: 'ENT26' })).slug;
    chromium = await openBrowserOn(t.app);
    mkdirSync(PICTURES, { recursive: true });
  });
  after(async () => {
    await chromium?.close();
    await t?.close();
  });

  async function photograph(page: Page, name: string) {
    const sizes = (await page.evaluate('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })')) as { scroll: number; client: number };
    assert.ok(sizes.scroll <= sizes.client, `${name} fits its width`);
    await page.screenshot({ path: path.join(PICTURES, `${name}-390.png`), fullPage: true });
  }

  const open = async (pathAndQuery: string) => {
    const page = checks.watch(await chromium.newPage({ width: 390, height: 844 }));
    await page.goto(chromium.url + pathAndQuery);
    return page;
  };

  it('saves a draft with a document, continues it from the email, submits it; the receipt prints clean', async () => {
    const page = await open(`/awards/${slug}/enter`);
    await page.getByLabel('Contact email').fill('browser.draft@example.net');
    await page.getByLabel('Organisation’s name').fill('Draft Browser Bank');
    await page.getByLabel(/Supporting documents/).setInputFiles({ name: 'deck.pdf', mimeType: 'application/pdf', buffer: PDF });
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.waitForURL(/\/drafts\/\d+\?token=/);
    assert.match(await page.locator('.notice').innerText(), /Your draft is saved/);
    assert.equal(await page.getByRole('button', { name: 'Remove deck.pdf' }).count(), 1);
    await checks.assertClean(page);
    await photograph(page, 'entrant-draft');
    await page.close();

    const [mail] = await t.smtp.waitFor(sentTo('browser.draft@example.net'));
    const link = linksIn(mail).find((l) => l.includes('/drafts/'))!;
    const draft = await open(localPath(link));
    assert.equal(await draft.getByLabel('Organisation’s name').inputValue(), 'Draft Browser Bank');
    await draft.getByLabel('Award category').selectOption('best-bank');
    await draft.getByLabel('Country').selectOption('GB');
    await draft.getByLabel('Organisation’s website').fill('https://draft-browser.example');
    await draft.getByLabel('Contact name').fill('Dana Brown');
    await draft.getByLabel('Job title').fill('Head of Awards');
    await draft.getByLabel('Supporting statement').fill(statementOf(60));
    await draft.getByLabel(/I accept the terms/).check();
    await draft.getByRole('button', { name: 'Submit entry' }).click();
    await draft.waitForURL(/\/entries\/ENT26-\d{5}\?token=/);
    assert.match(await draft.locator('main').innerText(), /deck\.pdf/);
    assert.match(await draft.locator('main').innerText(), /What happens next/);
    assert.ok(await draft.getByRole('button', { name: 'Print / save as PDF' }).isVisible(), 'the print button shows where scripts run');
    await checks.assertClean(draft);
    await photograph(draft, 'entrant-receipt');

    await draft.emulateMedia({ media: 'print' });
    const hidden = await draft.evaluate(() =>
      ['.site-header nav', '.site-footer', '.receipt-actions', '.back-link'].map((s) => getComputedStyle(document.querySelector(s)!).display),
    );
    assert.deepEqual(hidden, ['none', 'none', 'none', 'none'], 'print leaves out the navigation, footer and buttons');
    assert.ok(await draft.locator('.summary').isVisible(), 'the entry itself prints');
    await draft.close();
  });

  it('my entries: the request form, the sent page, the sign-in button and the list', async () => {
    const page = await open('/awards/my-entries');
    await checks.assertClean(page);
    await photograph(page, 'entrant-my-entries-sign-in');
    await page.getByLabel('Email address').fill('browser.draft@example.net');
    await page.getByRole('button', { name: 'Email me a link' }).click();
    await page.waitForURL(/\/my-entries\/sent$/);
    await checks.assertClean(page);

    const [mail] = await t.smtp.waitFor((m) => sentTo('browser.draft@example.net')(m) && /Your entries/.test(m.subject ?? ''));
    await page.goto(chromium.url + localPath(linksIn(mail).find((l) => l.includes('/sign-in'))!));
    await checks.assertClean(page);
    await page.getByRole('button', { name: 'Show my entries' }).click();
    await page.waitForURL(/\/awards\/my-entries$/);
    assert.match(await page.locator('main').innerText(), /ENT26-\d{5}: Draft Browser Bank/);
    await checks.assertClean(page);
    await photograph(page, 'entrant-my-entries');

    await page.getByRole('link', { name: /^Edit entry/ }).click();
    await page.waitForURL(/\/edit\?token=/);
    await checks.assertClean(page);
    await photograph(page, 'entrant-edit');
    await page.getByRole('link', { name: 'Withdraw this entry' }).click();
    await checks.assertClean(page);
    await page.close();
  });

  it('a locked entry says why', async () => {
    const entry = await t.db('entries').first();
    await t.admin('patch', `/api/admin/entries/${entry.reference}`).send({ status: 'under_review' }).expect(200);
    const [confirmation] = await t.smtp.waitFor((m) => /Entry received/.test(m.subject ?? ''));
    const receipt = new URL(linksIn(confirmation).find((l) => l.includes(`/entries/${entry.reference}`))!);
    const page = await open(receipt.pathname.replace(entry.reference, `${entry.reference}/edit`) + receipt.search);
    assert.match(await page.locator('main').innerText(), /Judging has started on this entry/);
    await checks.assertClean(page);
    await photograph(page, 'entrant-locked');
    await page.close();
  });
});
