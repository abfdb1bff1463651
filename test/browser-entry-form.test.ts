import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from './helpers/app';
import { browserSkip, openBrowserOn, type BrowserOnApp } from './helpers/browser';
import { createProgramme, PNG, statementOf } from './helpers/factories';
import { sentTo } from './helpers/smtp';

/**
 * What the focused element offers a keyboard user, worked out in the page: its role and
 * accessible name as Playwright's accessibility tree gives them (filled in outside), and its
 * focus ring: the outline's style, width, and contrast against what surrounds it (WCAG 2.2
 * 1.4.11 asks 3:1 of a focus indicator). A string, not a function: tsx's helpers do not
 * exist inside the page.
 */
const FOCUS_RING = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const rgb = (value) => (value.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const [R, G, B] = [r, g, b].map((c) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4));
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  // The outline is drawn around the element, over its parent's background.
  let background = [255, 255, 255];
  for (let p = el.parentElement; p; p = p.parentElement) {
    const c = rgb(getComputedStyle(p).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0)) { background = c.slice(0, 3); break; }
  }
  const style = getComputedStyle(el);
  const [l1, l2] = [luminance(rgb(style.outlineColor)), luminance(background)].sort((a, b) => b - a);
  return {
    id: el.id || el.getAttribute('href') || el.textContent.trim(),
    outline: style.outlineStyle === 'none' ? 0 : parseFloat(style.outlineWidth),
    contrast: Math.round(((l1 + 0.05) / (l2 + 0.05)) * 100) / 100,
  };
})()`;

interface Focused {
  id: string;
  outline: number;
  contrast: number;
  /** Role and accessible name, e.g. `textbox "Contact name"`. */
  name: string;
}

async function focused(page: Page): Promise<Focused | null> {
  const ring = (await page.evaluate(FOCUS_RING)) as Omit<Focused, 'name'> | null;
  if (!ring) return null;
  const snapshot = await page.locator(':focus').ariaSnapshot();
  // The first line of a YAML list: `- textbox "Name"`, quoted when it holds a colon, `:` when children follow.
  const line = snapshot.split('\n')[0].replace(/^- /, '').replace(/:$/, '');
  return { ...ring, name: /^'.*'$/.test(line) ? line.slice(1, -1).replace(/''/g, "'") : line };
}

/** Presses Tab until the element with `id` has focus; fails if it never does. */
async function tabTo(page: Page, id: string) {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    if ((await page.evaluate('document.activeElement && document.activeElement.id')) === id) return;
  }
  assert.fail(`#${id} is not reachable with Tab`);
}

describe('the entry form in a real browser', { skip: browserSkip }, () => {
  let t: TestApp;
  let chromium: BrowserOnApp;
  let slug: string;
  before(async () => {
    t = await startTestApp({ name: 'sqlite' });
    slug = (await createProgramme(t, { code: 'WEB26' })).slug;
    chromium = await openBrowserOn(t.app);
  });
  after(async () => {
    await chromium?.close();
    await t?.close();
  });

  it('fills the form, attaches a file, submits and lands on the receipt', async () => {
    const page = await chromium.newPage();
    await page.goto(`${chromium.url}/awards/${slug}`);
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
    const page = await chromium.newPage();
    await page.goto(`${chromium.url}/awards/${slug}/enter`);
    await page.getByLabel('Organisation’s name').fill('Half Done Ltd');
    await page.getByRole('button', { name: 'Submit entry' }).click();
    await page.waitForSelector('#error-summary');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'error-summary');
    assert.equal(await page.getByLabel('Organisation’s name').inputValue(), 'Half Done Ltd', 'values are kept');
    await page.getByRole('link', { name: /Contact email/ }).click();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'field-contactEmail');
    await page.close();
  });

  it('works with the keyboard alone: every control reached in order, named, with a visible focus ring', async () => {
    const page = await chromium.newPage();
    await page.goto(`${chromium.url}/awards/${slug}/enter`);
    const controls = (await page.evaluate(
      `[...document.querySelectorAll('#main form :is(input, select, textarea, button)')].filter((el) => el.type !== 'hidden' && el.tabIndex >= 0 && !el.closest('[aria-hidden=true]')).map((el) => el.id || el.textContent.trim())`,
    )) as string[];
    assert.ok(controls.length >= 12, `the form's controls: ${controls.join(', ')}`);

    const reached: Focused[] = [];
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      const now = await focused(page);
      if (!now || reached.some((r) => r.id === now.id)) break;
      reached.push(now);
    }
    const order = reached.map((r) => r.id);
    assert.equal(order[0], '#main', 'the first Tab reaches "Skip to content"');
    assert.deepEqual(order.filter((id) => controls.includes(id) || id === ''), controls, 'every control, in reading order');
    assert.ok(!order.includes('field-homepage'), 'the honeypot is out of the way');
    for (const r of reached) {
      assert.match(r.name, /^\w+ "[^"]*\S[^"]*"/, `${r.id} has a role and an accessible name: ${r.name}`);
      assert.ok(r.outline >= 2, `${r.id} shows a focus outline (${r.outline}px)`);
      assert.ok(r.contrast >= 3, `${r.id}'s focus outline has ${r.contrast}:1 contrast with its surroundings`);
    }

    // A failed submit, by keyboard: focus lands on the error summary, whose links lead to the fields.
    await tabTo(page, 'field-organisation');
    await page.keyboard.type('Keyboard Bank');
    await tabTo(page, 'field-consent');
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#error-summary');
    const summary = await focused(page);
    assert.equal(summary?.id, 'error-summary');
    assert.ok(summary.outline >= 2 && summary.contrast >= 3, `the focused error summary shows it (${summary.outline}px, ${summary.contrast}:1)`);
    await page.keyboard.press('Tab');
    assert.match((await focused(page))?.name ?? '', /^link "Award category: /);
    await page.keyboard.press('Enter');
    assert.equal((await focused(page))?.id, 'field-category', 'the link moves focus to its field');

    // The rest, by keyboard, then Enter on the button: the receipt.
    await page.keyboard.press('ArrowDown');
    await tabTo(page, 'field-country');
    await page.keyboard.type('Ireland');
    for (const [id, text] of [
      ['field-website', 'https://keyboard-bank.example'],
      ['field-contactName', 'Róisín Kelly'],
      ['field-jobTitle', 'Head of Digital'],
      ['field-contactEmail', 'roisin@keyboard-bank.example'],
      ['field-statement', statementOf(55)],
    ]) {
      await tabTo(page, id);
      await page.keyboard.type(text);
    }
    assert.equal(await page.getByLabel('Country').inputValue(), 'IE', 'typing a name picks the country');
    assert.equal(await page.getByLabel('Organisation’s name').inputValue(), 'Keyboard Bank', 'values were kept');
    await tabTo(page, 'field-consent');
    if (!(await page.getByLabel(/I accept the terms/).isChecked())) await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    assert.match((await focused(page))?.name ?? '', /^button "Submit entry"/);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/entries\/WEB26-\d{5}\?token=/);
    await t.smtp.waitFor(sentTo('roisin@keyboard-bank.example'));
    await page.close();
  });
});
