import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from './helpers/app';
import { browserSkip, openBrowserOn, type BrowserOnApp } from './helpers/browser';
import { createProgramme } from './helpers/factories';
import { startDemoSite, type DemoSite } from './helpers/journeys';
import { pageChecks } from './helpers/page-checks';

/**
 * The site's look in Chromium: the "Start your entry" button on a phone's first screen, the
 * masthead's logo, article cards with images in a fixed frame, focus rings, every new page
 * axe-core and html-validate clean, at 390 and 1280 px. Photographs go to
 * test-artifacts/screenshots/; with UPDATE_SCREENSHOTS=1 also to test/screenshots/ for README.md.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ARTIFACTS = path.join(root, 'test-artifacts', 'screenshots');
const README_PICTURES = path.join(root, 'test', 'screenshots');
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

// Article pictures from an image host the sealed browser answers itself.
const IMAGE_HOST = 'https://images.example';
const picture = (hue: number) => `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 360" width="640" height="360">
  <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(${hue},45%,22%)"/><stop offset="1" stop-color="hsl(${hue + 30},40%,38%)"/></linearGradient></defs>
  <rect width="640" height="360" fill="url(#g)"/>
  <polyline points="0,290 80,250 160,270 240,200 320,215 400,150 480,170 560,95 640,110" fill="none" stroke="#e8c873" stroke-width="6"/>
  <g stroke="#ffffff" stroke-opacity=".15">${Array.from({ length: 7 }, (_, i) => `<line x1="0" x2="640" y1="${45 * (i + 1)}" y2="${45 * (i + 1)}"/>`).join('')}</g>
</svg>`;

async function withPictures(page: Page) {
  await page.route(`${IMAGE_HOST}/**`, (route) => {
    const hue = Number(/(\d+)\.svg$/.exec(route.request().url())?.[1] ?? 200);
    return route.fulfill({ status: 200, contentType: 'image/svg+xml', body: picture(hue) });
  });
  return page;
}

const IMAGED = [
  { title: 'Card issuers brace for a year of slimmer interchange margins', hue: 205 },
  { title: 'Pension funds lift their allocation to private credit again', hue: 150 },
];

describe('the look: masthead, hero, cards and the first screen on a phone (Chromium)', { skip: browserSkip }, () => {
  let site: DemoSite;
  let chromium: BrowserOnApp;
  const checks = pageChecks();
  before(async () => {
    site = await startDemoSite();
    for (const [i, a] of IMAGED.entries()) {
      await site.t
        .admin('post', '/api/admin/articles')
        .send({
          title: a.title,
          url: `https://news.example/look-${i}`,
          summary: 'Original demo copy for the look test: a summary long enough to fill two lines of a card on a phone.',
          topic: 'finance',
          publishedAt: new Date(Date.now() - i * 60_000).toISOString(),
          imageUrl: `${IMAGE_HOST}/picture-${a.hue}.svg`,
        })
        .expect((r) => assert.ok(r.status < 300, JSON.stringify(r.body)));
    }
    chromium = await openBrowserOn(site.t.app);
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await chromium?.close();
    await site?.t.close();
  });

  async function open(viewport: { width: number; height: number }, pagePath: string): Promise<Page> {
    const page = checks.watch(await withPictures(await chromium.newPage(viewport)));
    const response = await page.goto(chromium.url + pagePath);
    assert.equal(response?.status(), 200, pagePath);
    return page;
  }

  it('puts "Start your entry" on the first screen of a 390 × 844 phone', async () => {
    const page = await open(PHONE, `/awards/${site.demo.open}`);
    const button = page.getByRole('link', { name: 'Start your entry' });
    await button.waitFor();
    const b = (await button.boundingBox())!;
    assert.ok(b.y >= 0 && b.y + b.height <= PHONE.height, `the button spans ${b.y}–${b.y + b.height} px of an ${PHONE.height} px screen`);
    assert.ok(b.x >= 0 && b.x + b.width <= PHONE.width, `the button spans ${b.x}–${b.x + b.width} px across`);
    assert.ok(b.height >= 24 && b.width >= 24, 'a target at least 24 × 24 px (WCAG 2.5.8)');
    // The home page's hero offers the open call on the first screen too.
    await page.goto(`${chromium.url}/`);
    const enter = (await page.locator('.hero').getByRole('link', { name: /^Enter now/ }).boundingBox())!;
    assert.ok(enter.y + enter.height <= PHONE.height, `the home hero's button ends at ${enter.y + enter.height} px`);
    await page.close();
  });

  it('shows article cards with their images: alt text, lazy loading and a fixed 16:9 frame', async () => {
    for (const viewport of [PHONE, DESKTOP]) {
      const page = await open(viewport, '/');
      const images = page.locator('.article-card img');
      assert.equal(await images.count(), IMAGED.length, 'only articles with an image get one');
      for (const [i, a] of IMAGED.entries()) {
        const img = images.nth(i);
        assert.equal(await img.getAttribute('alt'), a.title);
        assert.equal(await img.getAttribute('loading'), 'lazy');
        // The frame is fixed before the picture arrives: no layout shift.
        const frame = (await img.boundingBox())!;
        assert.ok(Math.abs(frame.height - (frame.width * 9) / 16) <= 1, `${frame.width} × ${frame.height} is 16:9`);
        await img.scrollIntoViewIfNeeded();
        await page.waitForFunction((n) => (document.querySelectorAll('.article-card img')[n] as HTMLImageElement).complete, i);
        const after = (await img.boundingBox())!;
        assert.equal(Math.round(after.height), Math.round(frame.height), 'the loaded picture keeps the frame');
        assert.ok(await img.evaluate((el: HTMLImageElement) => el.naturalWidth > 0), 'the picture loaded');
      }
      await page.close();
    }
  });

  it('rings the focused control with a visible outline', async () => {
    const page = await open(DESKTOP, `/awards/${site.demo.open}`);
    await page.keyboard.press('Tab'); // the skip link
    await page.keyboard.press('Tab'); // the masthead's brand
    const outline = await page.evaluate(() => {
      const style = getComputedStyle(document.activeElement!);
      return { style: style.outlineStyle, width: style.outlineWidth, className: document.activeElement!.className };
    });
    assert.equal(outline.className, 'brand');
    assert.equal(outline.style, 'solid');
    assert.equal(outline.width, '3px');
    await page.close();
  });

  const PAGES = (demo: DemoSite['demo']) => [
    { name: 'home', path: '/' },
    { name: 'call-for-entries', path: `/awards/${demo.open}` },
    { name: 'newsletter', path: '/newsletter' },
    { name: 'closed-call', path: `/awards/${demo.closed}` },
    { name: 'terms', path: '/terms' },
    { name: 'privacy', path: '/privacy' },
    { name: 'contact', path: '/contact' },
  ];

  for (const viewport of [PHONE, DESKTOP]) {
    it(`every page of the new look is axe-core and html-validate clean and fits ${viewport.width} px (screenshots)`, async () => {
      for (const { name, path: pagePath } of PAGES(site.demo)) {
        const page = await open(viewport, pagePath);
        await checks.assertClean(page);
        const sizes = (await page.evaluate('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })')) as { scroll: number; client: number };
        assert.ok(sizes.scroll <= sizes.client, `${name} is ${sizes.scroll} px wide in a ${sizes.client} px window`);
        await page.screenshot({ path: path.join(ARTIFACTS, `look-${name}-${viewport.width}.png`), fullPage: true });
        if (['home', 'call-for-entries', 'newsletter'].includes(name) && process.env.UPDATE_SCREENSHOTS === '1') {
          mkdirSync(README_PICTURES, { recursive: true });
          await page.screenshot({ path: path.join(README_PICTURES, `look-${name}-${viewport.width}.png`) });
        }
        await page.close();
      }
    });
  }
});

describe('the masthead logo (BRAND_LOGO_URL, Chromium)', { skip: browserSkip }, () => {
  let t: TestApp;
  let chromium: BrowserOnApp;
  before(async () => {
    t = await startTestApp({ name: 'sqlite' }, { ORG_NAME: 'Harbour Finance Review', BRAND_LOGO_URL: '/static/favicon.svg' });
    await createProgramme(t);
    chromium = await openBrowserOn(t.app);
  });
  after(async () => {
    await chromium?.close();
    await t?.close();
  });

  it('shows the logo, loaded, named by the organisation, in place of the wordmark', async () => {
    const checks = pageChecks();
    const page = checks.watch(await chromium.newPage(PHONE));
    await page.goto(`${chromium.url}/`);
    const logo = page.getByRole('link', { name: 'Harbour Finance Review' }).locator('img');
    await logo.waitFor();
    assert.equal(await logo.getAttribute('alt'), 'Harbour Finance Review');
    assert.ok(await logo.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0), 'the logo loaded');
    assert.equal(Math.round((await logo.boundingBox())!.height), 44);
    assert.equal(await page.locator('.wordmark').count(), 0);
    await checks.assertClean(page);
    await page.close();
  });
});
