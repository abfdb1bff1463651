import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Headless Chromium from Debian's package, driven by playwright-core. Browser suites run
 * only where /usr/bin/chromium exists; elsewhere they are skipped with one line.
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const browserSkip = existsSync(CHROMIUM_PATH) ? undefined : `browser suite skipped: ${CHROMIUM_PATH} is not installed`;

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Serves the app on a loopback port, for a browser to open. */
export async function serveApp(app: Express): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Chromium on an app served on loopback: pages that reach only the app, closed together. */
export interface BrowserOnApp {
  url: string;
  browser: Browser;
  /** A page whose requests elsewhere (article images, links out) are refused, as in a sealed test. */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function openBrowserOn(app: Express): Promise<BrowserOnApp> {
  const site = await serveApp(app);
  const browser = await launchBrowser();
  return {
    url: site.url,
    browser,
    async newPage(viewport) {
      const page = await browser.newPage(viewport ? { viewport } : {});
      await page.route('**/*', (route) => (route.request().url().startsWith(site.url) ? route.continue() : route.abort()));
      return page;
    },
    async close() {
      await browser.close();
      await site.close();
    },
  };
}
