import assert from 'node:assert/strict';
import type { Page, Response } from 'playwright-core';
import { axeViolations } from './axe';
import { htmlFindings } from './html-validate';

/**
 * axe-core and html-validate on console pages open in Chromium. html-validate judges the
 * HTML the server sent (the last document the tab loaded), not the live DOM, so each page
 * is watched for its navigations.
 */
export function pageChecks() {
  const documents = new WeakMap<Page, Response>();
  return {
    watch(page: Page): Page {
      page.on('response', (r) => {
        if (r.request().isNavigationRequest() && r.request().frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400)) documents.set(page, r);
      });
      return page;
    },
    async assertClean(page: Page) {
      const title = await page.title();
      assert.deepEqual(await axeViolations(page), [], `axe on "${title}"`);
      assert.deepEqual(await htmlFindings(await documents.get(page)!.text()), [], `html-validate on "${title}"`);
    },
  };
}
