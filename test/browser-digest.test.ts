import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN, startTestApp, type TestApp } from './helpers/app';
import { browserSkip, openBrowserOn, type BrowserOnApp } from './helpers/browser';
import { createProgramme } from './helpers/factories';

/**
 * The text whose contrast with its background is under WCAG AA's 4.5:1, as "ratio: text".
 * A string, not a function: tsx's helpers do not exist inside the page.
 */
const LOW_CONTRAST_TEXT = `(() => {
  const rgb = (value) => (value.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const [R, G, B] = [r, g, b].map((c) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4));
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const problems = [];
  for (const el of document.querySelectorAll('body *')) {
    const ownText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    if (!ownText || el.offsetParent === null) continue;
    const [l1, l2] = [luminance(rgb(getComputedStyle(el).color)), luminance(background(el))].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    if (ratio < 4.5) problems.push(ratio.toFixed(2) + ': ' + el.textContent.trim().slice(0, 40));
  }
  return problems;
})()`;

/** What a reader's mail client would show: the preview at phone and desktop widths. */
describe('the digest in a real browser', { skip: browserSkip }, () => {
  let t: TestApp;
  let chromium: BrowserOnApp;
  before(async () => {
    t = await startTestApp({ name: 'sqlite' });
    await createProgramme(t, { name: 'Global Banking & Finance Awards 2027 — Call for Entries' });
    const stories = [
      { title: 'Cross-border settlement: the unglamorous plumbing behind instant payments', imageUrl: 'https://img.example.com/lead.jpg' },
      { title: 'Interbankfinancialtelecommunicationsinfrastructurereplacementprogramme slips', imageUrl: 'https://img.example.com/card.jpg' },
      { title: 'Lenders report https://www.example.com/a/very/long/address/that/does/not/break/anywhere/at/all', imageUrl: null },
    ];
    for (const [i, story] of stories.entries()) {
      await t
        .admin('post', '/api/admin/articles')
        .send({ ...story, url: `https://news.example.com/banking/${i}`, summary: 'A summary of the story, long enough to wrap over a few lines on a narrow phone screen.', topic: 'banking', publishedAt: new Date(Date.now() - (i + 1) * 3_600_000).toISOString() })
        .expect(201);
    }
    chromium = await openBrowserOn(t.app);
  });
  after(async () => {
    await chromium?.close();
    await t?.close();
  });

  for (const width of [320, 600]) {
    it(`fits ${width} px without scrolling sideways, with alt text and readable contrast`, async () => {
      const page = await chromium.newPage({ width, height: 800 });
      await page.setExtraHTTPHeaders({ Authorization: `Bearer ${ADMIN_TOKEN}` });
      // Remote images cannot load here (the page reaches only the app); their boxes keep their declared sizes all the same.
      const response = await page.goto(`${chromium.url}/api/admin/digests/preview?topic=banking`);
      assert.equal(response?.status(), 200);

      const sizes = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
      assert.ok(sizes.scroll <= sizes.client, `content is ${sizes.scroll} px wide in a ${sizes.client} px window`);
      const overflowing = (await page.evaluate(
        `[...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > ${width} + 0.5).map((el) => el.tagName + ' ' + (el.textContent || '').slice(0, 40))`,
      )) as string[];
      assert.deepEqual(overflowing, [], 'no element reaches past the right edge');

      const images = await page.locator('img').evaluateAll((imgs) => imgs.map((img) => img.getAttribute('alt')));
      assert.equal(images.length, 2);
      assert.ok(images.every((alt) => alt && alt.trim().length > 0), 'every image has alt text');

      const lowContrast = (await page.evaluate(LOW_CONTRAST_TEXT)) as string[];
      assert.deepEqual(lowContrast, [], 'all text meets WCAG AA contrast (4.5:1)');
      await page.close();
    });
  }
});
