import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults, Result } from 'axe-core';
import type { Page } from 'playwright-core';

/**
 * axe-core, injected into a page open in Chromium, judging it against WCAG 2.2 AA: every
 * rule tagged for levels A and AA of WCAG 2.0, 2.1 and 2.2 (axe's own best-practice rules
 * are not asked for).
 */
export const WCAG_22_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The violations on the page as it is now, one line per rule and element. */
export async function axeViolations(page: Page): Promise<string[]> {
  // A click that submits a form returns once the next page starts; judge it only when it and its stylesheets have loaded.
  await page.waitForLoadState('load');
  // Evaluated, not added as a <script>: the app's Content-Security-Policy rightly refuses inline scripts.
  await page.evaluate(axeSource);
  // A string, not a function: tsx's helpers do not exist inside the page.
  const results = (await page.evaluate(`axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(WCAG_22_AA)} }, resultTypes: ['violations'] })`)) as AxeResults;
  return results.violations.flatMap((v: Result) => v.nodes.map((n) => `${v.id} (${v.impact}): ${v.help} at ${n.target.join(' ')}`));
}
