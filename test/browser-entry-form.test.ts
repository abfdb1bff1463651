import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { startTestApp, type TestApp } from './helpers/app';
import { browserSkip, launchBrowser, serveApp } from './helpers/browser';
import { createProgramme, PNG, statementOf } from './helpers/factories';
import { sentTo } from './helpers/smtp';

describe('the entry form in a real browser', { skip: browserSkip }, () => {
  let t: TestApp;
  let browser: Browser;
  let site: Awaited<ReturnType<typeof serveApp>>;
  let slug: string;
  before(async () => {
    t = await startTestApp({ name: 'sqlite' });
    slug = (await createProgramme(t, { code: 'WEB26' })).slug;
    site = await serveApp(t.app);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
    await t?.close();
  });

  it('fills the form, attaches a file, submits and lands on the receipt', async () => {
    const page = await browser.newPage();
    await page.goto(`${site.url}/awards/${slug}`);
    await page.getByRole('link', { name: 'Start your entry' }).click();
    await page.getByLabel('Award category').selectOption('best-fintech');
    await page.getByLabel('Organisation’s name').fill('Browser Bank');
    await page.getByLabel('Country').selectOption('IE');
    await page.getByLabel('Organisation’s website').fill('https://browser-bank.example');
    await page.getByLabel('Contact name').fill('Aoife Byrne');
    await page.getByLabel('Job title').fill('Chief Operating Officer');
    await page.getByLabel('Contact email').fill('aoife@browser-bank.example');
    await page.getByLabel('Supporting statement').fill(statementOf(75));
    assert.equal(await page.locator('#word-count').textContent(), '75 of 50–800 words', 'the live word count follows the typing');
    await page.getByLabel('Supporting documents').setInputFiles({ name: 'results.png', mimeType: 'image/png', buffer: PNG });
    await page.getByLabel(/I accept the terms/).check();
    await page.getByRole('button', { name: 'Submit entry' }).click();

    await page.waitForURL(/\/entries\/WEB26-\d{5}\?token=/);
    const heading = await page.getByRole('heading', { level: 1 }).textContent();
    assert.match(heading ?? '', /Your entry: WEB26-\d{5}/);
    assert.match(await page.content(), /results.png/);
    await t.smtp.waitFor(sentTo('aoife@browser-bank.example'));
    await page.close();
  });

  it('after a failed submit, moves focus to the error summary, which links to each field', async () => {
    const page = await browser.newPage();
    await page.goto(`${site.url}/awards/${slug}/enter`);
    await page.getByLabel('Organisation’s name').fill('Half Done Ltd');
    await page.getByRole('button', { name: 'Submit entry' }).click();
    await page.waitForSelector('#error-summary');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'error-summary');
    assert.equal(await page.getByLabel('Organisation’s name').inputValue(), 'Half Done Ltd', 'values are kept');
    await page.getByRole('link', { name: /Contact email/ }).click();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'field-contactEmail');
    await page.close();
  });
});
