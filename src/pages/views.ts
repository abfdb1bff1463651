import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';
import nunjucks from 'nunjucks';
import type { Config } from '../config';
import { escapeHtml } from '../escape-html';
import { paths } from '../paths';

const sourceRoot = paths.source;
const staticDirectory = paths.static;

/**
 * Server-rendered pages: Nunjucks with autoescaping, templates named by their path under
 * src/ (`subscribers/views/signup.njk`), one layout in pages/templates. The stylesheet is
 * served with a year-long cache life under a URL that changes when its content does.
 */
/** Plain text as HTML paragraphs: a blank line starts a new one, a single newline is a <br>; escaped. */
export function paragraphs(text: unknown): nunjucks.runtime.SafeString {
  const html = String(text ?? '')
    .split(/\r?\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => `<p>${escapeHtml(p).replace(/\r?\n/g, '<br>\n')}</p>`)
    .join('\n');
  return new nunjucks.runtime.SafeString(html);
}

/** A static file's URL with a hash of its content, so a year-long cache never serves a stale copy. */
function versionedUrl(file: string) {
  const version = createHash('sha256').update(readFileSync(path.join(staticDirectory, file))).digest('hex').slice(0, 12);
  return `/static/${file}?v=${version}`;
}

export function installViews(app: Express, config: Pick<Config, 'orgName' | 'postalAddress' | 'site'>) {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(sourceRoot, { noCache: false }), {
    autoescape: true,
    // A line that holds only a {% tag %} renders as an empty line, not as stray indentation.
    lstripBlocks: true,
  });
  env.express(app);
  app.set('view engine', 'njk');

  env.addGlobal('stylesheetUrl', versionedUrl('style.css'));
  env.addGlobal('consoleStylesheetUrl', versionedUrl('console.css'));
  env.addGlobal('consoleScriptUrl', versionedUrl('console.js'));
  const faviconUrl = versionedUrl('favicon.svg');
  env.addGlobal('faviconUrl', faviconUrl);
  // Browsers and crawlers ask for /favicon.ico whatever the page links.
  app.get('/favicon.ico', (_req, res) => res.redirect(301, faviconUrl));
  env.addGlobal('digestProgressScriptUrl', versionedUrl('digest-progress.js'));
  env.addGlobal('printScriptUrl', versionedUrl('print.js'));
  env.addGlobal('org', { name: config.orgName, postalAddress: config.postalAddress, contactEmail: config.site.contactEmail, logoUrl: config.site.brandLogoUrl });
  env.addGlobal('year', new Date().getUTCFullYear());
  env.addFilter('paragraphs', paragraphs);

  app.use('/static', express.static(staticDirectory, { maxAge: '365d', immutable: true, index: false }));
}
