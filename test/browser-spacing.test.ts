import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { browserSkip, openBrowserOn, type BrowserOnApp } from './helpers/browser';
import { startDemoSite, type DemoSite } from './helpers/journeys';

/**
 * Issue 9 item 13: the page's first heading stands clear of the header and the footer clear
 * of the last button, measured in Chromium at a phone's and a desktop's width.
 */
describe('pages breathe: space under the header and above the footer (Chromium)', { skip: browserSkip }, () => {
  let site: DemoSite;
  let chromium: BrowserOnApp;
  before(async () => {
    site = await startDemoSite();
    chromium = await openBrowserOn(site.t.app);
  });
  after(async () => {
    await chromium?.close();
    await site?.t.close();
  });

  for (const width of [390, 1280]) {
    it(`at ${width} px, on the newsletter page and the entry form`, async () => {
      const page = await chromium.newPage({ width, height: 900 });
      for (const path of ['/newsletter', `/awards/${site.demo.open}/enter`]) {
        await page.goto(chromium.url + path);
        // A string, not a function: tsx's helpers do not exist inside the page.
        const gaps = (await page.evaluate(`(() => {
          const box = (el) => el.getBoundingClientRect();
          const buttons = [...document.querySelectorAll('main button')];
          return {
            underHeader: box(document.querySelector('main h1')).top - box(document.querySelector('.site-header')).bottom,
            aboveFooter: box(document.querySelector('.site-footer')).top - box(buttons[buttons.length - 1]).bottom,
          };
        })()`)) as { underHeader: number; aboveFooter: number };
        assert.ok(gaps.underHeader >= 16, `${path}: the heading is ${gaps.underHeader}px under the header`);
        assert.ok(gaps.aboveFooter >= 16, `${path}: the footer is ${gaps.aboveFooter}px under the last button`);
      }
      await page.close();
    });
  }
});
