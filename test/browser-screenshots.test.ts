import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { browserSkip, openBrowserOn, type BrowserOnApp } from './helpers/browser';
import { linkIn, startDemoSite, type DemoSite } from './helpers/journeys';

/**
 * What people look at, at a phone's 320 px and a mail client's 600 px: the entry form (empty
 * and after a failed submit), the receipt and the digest, on the demo site. Each fits its
 * width without scrolling sideways, and each is photographed into test-artifacts/screenshots/
 * (git-ignored; CI keeps the folder) for a person to look at. With UPDATE_SCREENSHOTS=1 the
 * run also refreshes the small pictures README.md shows (test/screenshots/).
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ARTIFACTS = path.join(root, 'test-artifacts', 'screenshots');
const README_PICTURES = path.join(root, 'test', 'screenshots');
const WIDTHS = [320, 600];

describe('the entry form, the receipt and the digest at 320 and 600 px (screenshots)', { skip: browserSkip }, () => {
  let app: DemoSite;
  let chromium: BrowserOnApp;
  before(async () => {
    app = await startDemoSite();
    chromium = await openBrowserOn(app.t.app);
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await chromium?.close();
    await app?.t.close();
  });

  async function open(width: number, pathAndQuery: string): Promise<Page> {
    const page = await chromium.newPage({ width, height: 900 });
    const response = await page.goto(chromium.url + pathAndQuery);
    assert.equal(response?.status(), 200);
    return page;
  }

  /** Asserts the page fits its width, then photographs all of it (and, for README's pictures, its first screen). */
  async function photograph(page: Page, name: string, width: number, readme = false) {
    const sizes = (await page.evaluate('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })')) as { scroll: number; client: number };
    assert.ok(sizes.scroll <= sizes.client, `${name} is ${sizes.scroll} px wide in a ${sizes.client} px window`);
    const file = path.join(ARTIFACTS, `${name}-${width}.png`);
    await page.screenshot({ path: file, fullPage: true });
    if (readme && process.env.UPDATE_SCREENSHOTS === '1') {
      mkdirSync(README_PICTURES, { recursive: true });
      await page.screenshot({ path: path.join(README_PICTURES, `${name}-${width}.png`) });
    }
  }

  for (const width of WIDTHS) {
    it(`the entry form, empty and after a failed submit, at ${width} px`, async () => {
      const page = await open(width, `/awards/${app.demo.open}/enter`);
      await photograph(page, 'entry-form', width, width === 320);
      await page.getByLabel('Organisation’s name').fill('Half Done Ltd');
      await page.getByRole('button', { name: 'Submit entry' }).click();
      await page.waitForSelector('#error-summary');
      await photograph(page, 'entry-form-errors', width);
      await page.close();
    });

    it(`the receipt at ${width} px`, async () => {
      const page = await open(width, linkIn(app.mail.entry, '/entries/'));
      await photograph(page, 'receipt', width);
      await page.close();
    });

    it(`the digest at ${width} px`, async () => {
      const page = await open(width, linkIn(app.mail.digest, '/digests/'));
      await photograph(page, 'digest', width, width === 600);
      await page.close();
    });
  }
});
