import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { loadDemoContent } from '../src/demo';
import { csrfFrom, startTestApp, type TestApp } from './helpers/app';
import { axeViolations } from './helpers/axe';
import { browserSkip, openBrowserOn, type BrowserOnApp } from './helpers/browser';
import { entryFields, PDF } from './helpers/factories';
import { htmlFindings } from './helpers/html-validate';
import { addArticles, addConfirmedSubscribers, waitForDigest } from './helpers/sending';
import { createStaff, STAFF_PASSWORD } from './helpers/staff';

/**
 * The console's work screens in Chromium, reached as an editor reaches them: signed in on
 * the real login page, then the dashboard, the entries list, an entry and the programmes.
 * Each page: axe-core at WCAG 2.2 AA with no violations, html-validate clean on the HTML the
 * server sent. The dashboard and the entries list are photographed at 1280 px into
 * test-artifacts/screenshots/ (and, with UPDATE_SCREENSHOTS=1, into test/screenshots/ for
 * README). It judges output, not storage: SQLite only.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ARTIFACTS = path.join(root, 'test-artifacts', 'screenshots');
const README_PICTURES = path.join(root, 'test', 'screenshots');

const ORGANISATIONS = ['Harbourview Community Bank', 'Northwind Bank', 'Meridian Pay', 'Kestrel Capital', 'Altamira Savings', 'Bluewater Fintech', 'Cobalt Clearing'];

describe('the console’s dashboard, entries and programmes in Chromium', { skip: browserSkip }, () => {
  let t: TestApp;
  let chromium: BrowserOnApp;
  let page: Page;
  let programme: { slug: string; categories: { slug: string }[] };
  let withDocument = '';

  before(async () => {
    // A refused recipient waits a minute before its retry, so one send is still in progress on the dashboard.
    t = await startTestApp({ name: 'sqlite' }, {}, { retryBaseMs: 60_000 });
    await loadDemoContent(t.db);
    await createStaff(t, 'ines.moreau@example.com', 'editor');
    programme = (await request(t.app).get('/api/awards').expect(200)).body.items.find((p: { open: boolean }) => p.open);

    for (const [i, organisation] of ORGANISATIONS.entries()) {
      const category = programme.categories[i % programme.categories.length].slug;
      await request(t.app).post(`/api/awards/${programme.slug}/entries`).send(entryFields({ category, organisation, contactEmail: `entries${i}@example.org` })).expect(201);
    }
    const { body: entries } = await t.admin('get', `/api/admin/entries?programme=${programme.slug}`).expect(200);
    for (const [i, status] of ['under_review', 'under_review', 'under_review'].entries()) {
      await t.admin('patch', `/api/admin/entries/${entries.items[i].reference}`).send({ status }).expect(200);
    }
    await t.admin('patch', `/api/admin/entries/${entries.items[0].reference}`).send({ status: 'shortlisted', note: 'Strong numbers' }).expect(200);

    // One entry with a document, through the public form.
    const entrant = t.agent();
    const form = await entrant.get(`/awards/${programme.slug}/enter`).expect(200);
    const submit = entrant.post(`/awards/${programme.slug}/entries`);
    const fields = { _csrf: csrfFrom(form.text), submissionId: /name="submissionId" value="([a-f0-9]+)"/.exec(form.text)![1], ...entryFields({ category: programme.categories[0].slug, organisation: 'Fernhill Credit Union' }) };
    for (const [name, value] of Object.entries(fields)) submit.field(name, value);
    withDocument = /\/entries\/([A-Z0-9-]+)\?/.exec((await submit.attach('documents', PDF, 'annual-report.pdf').expect(303)).headers.location)![1];

    await addConfirmedSubscribers(t, ['ada', 'bo', 'cy', 'slow'].map((name) => ({ email: `${name}@example.net`, topics: ['finance'] })));
    const sent = await t.admin('post', '/api/admin/digests').send({ topic: 'finance', subject: 'Finance this week' }).expect(202);
    await waitForDigest(t, sent.body.id, ['sent']);
    await addArticles(t, 'finance', 2, 'Morning');
    t.smtp.rejectWith((recipient) => (recipient === 'slow@example.net' ? { code: 421, message: 'Try again later' } : null));
    await t.admin('post', '/api/admin/digests').send({ topic: 'finance', subject: 'Markets this morning' }).expect(202);

    chromium = await openBrowserOn(t.app);
    page = await chromium.newPage({ width: 1280, height: 900 });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await chromium?.close();
    await t?.close();
  });

  /** Opens a console page; asserts axe and html-validate find nothing; returns its HTML as sent. */
  async function check(pathAndQuery: string) {
    const response = await page.goto(chromium.url + pathAndQuery);
    assert.equal(response?.status(), 200, pathAndQuery);
    const html = await response!.text();
    assert.deepEqual(await htmlFindings(html), [], `html-validate on ${pathAndQuery}`);
    assert.deepEqual(await axeViolations(page), [], `axe on ${pathAndQuery}`);
    return html;
  }

  async function photograph(name: string) {
    const sizes = (await page.evaluate('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })')) as { scroll: number; client: number };
    assert.ok(sizes.scroll <= sizes.client, `${name} is ${sizes.scroll} px wide in a ${sizes.client} px window`);
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      mkdirSync(README_PICTURES, { recursive: true });
      await page.screenshot({ path: path.join(README_PICTURES, `${name}.png`), fullPage: true });
    }
  }

  it('signs in on the login page and lands on the dashboard', async () => {
    await page.goto(chromium.url + '/admin/entries');
    await page.waitForURL(/\/admin\/login/);
    await page.getByLabel('Email address').fill('ines.moreau@example.com');
    await page.getByLabel('Password').fill(STAFF_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/admin\/entries$/);
    const html = await check('/admin');
    assert.match(html, /Markets this morning/, 'the send in progress is listed');
    assert.match(html, /Finance this week/);
    await photograph('console-dashboard');
  });

  it('the entries list, filtered, and a bulk change reported', async () => {
    await check('/admin/entries');
    await page.getByLabel('Programme').selectOption(programme.slug);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/programme=/);
    await check(page.url().slice(chromium.url.length));
    await photograph('console-entries');

    const rows = page.getByRole('checkbox', { name: /^Select / });
    await rows.nth(0).check(); // shortlisted: may not go back to review
    await rows.nth(ORGANISATIONS.length - 1).check(); // submitted
    await page.getByLabel('New status').selectOption('under_review');
    await page.getByRole('button', { name: 'Change status' }).click();
    await page.waitForSelector('.flash');
    assert.match((await page.locator('.flash').textContent()) ?? '', /Moved 1 entry to under review\. Not moved: .*shortlisted cannot become under_review/);
    assert.deepEqual(await axeViolations(page), [], 'axe with the flash shown');
  });

  it('an entry with its document, audit trail and status change', async () => {
    await check(`/admin/entries/${withDocument}`);
    await page.getByLabel('New status').selectOption('under_review');
    await page.getByLabel(/^Note/).fill('Read the annual report');
    await page.getByRole('button', { name: 'Change status' }).click();
    await page.waitForSelector('.flash');
    assert.match((await page.locator('.flash').textContent()) ?? '', /moved to under review/);
    assert.match((await page.locator('table.list').textContent()) ?? '', /ines\.moreau@example\.com\s*Read the annual report/);
    assert.deepEqual(await axeViolations(page), [], 'axe after the change');
  });

  it('the programmes list, a programme’s form and its error state', async () => {
    await check('/admin/programmes');
    await check('/admin/programmes/new');
    await check(`/admin/programmes/${programme.slug}`);
    await page.getByLabel('Programme name').fill('');
    const [answer] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Save programme' }).click()]);
    assert.equal(answer.status(), 422);
    assert.deepEqual(await htmlFindings(await answer.text()), [], 'html-validate on the form with errors');
    await page.waitForSelector('#error-summary');
    assert.equal(await page.locator('#error-name').textContent(), 'Enter the programme name.');
    assert.deepEqual(await axeViolations(page), [], 'axe on the form with errors');
  });
});
