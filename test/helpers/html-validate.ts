import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileSystemConfigLoader, HtmlValidate } from 'html-validate';

/**
 * html-validate with the configuration a page's source would get: .htmlvalidate.mjs at the
 * root (the recommended rules) for the site's pages, emails/.htmlvalidate.mjs on top of it
 * for HTML that MJML compiled (the digest's web view).
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const validator = new HtmlValidate(new FileSystemConfigLoader());

export type HtmlSource = 'page' | 'email';

/** Every finding in `html`, one line each: "rule line:column message". */
export async function htmlFindings(html: string, source: HtmlSource = 'page'): Promise<string[]> {
  const file = source === 'email' ? path.join(root, 'emails', 'compiled.html') : path.join(root, 'src', 'pages', 'rendered.html');
  const report = await validator.validateString(html, file);
  return report.results.flatMap((r) => r.messages.map((m) => `${m.ruleId} ${m.line}:${m.column} ${m.message} [${m.selector ?? ''}]`));
}
