import nunjucks from 'nunjucks';
import { paths } from '../paths';

/**
 * Turns a template in emails/ into the two parts of a message. Nunjucks fills the data in
 * (HTML-escaped for the MJML, raw for the text), then MJML compiles the markup.
 * Knows nothing of any feature: callers pass the data their template needs.
 */
export const emailsDirectory = paths.emails;

const htmlTemplates = new nunjucks.Environment(new nunjucks.FileSystemLoader(emailsDirectory), {
  autoescape: true,
  throwOnUndefined: false,
});
const textTemplates = new nunjucks.Environment(new nunjucks.FileSystemLoader(emailsDirectory), {
  autoescape: false,
});

export interface Organisation {
  name: string;
  postalAddress: string;
}

/** The publisher as every email's footer names it (ORG_NAME, POSTAL_ADDRESS). */
export const organisationOf = (config: { orgName: string; postalAddress: string }): Organisation => ({ name: config.orgName, postalAddress: config.postalAddress });

export interface RenderedEmail {
  html: string;
  text: string;
}

export class EmailTemplateError extends Error {}

// Loaded on first use: MJML is large (about 50 MB resident and half a second to load), and
// a worker that only personalises compiled digests never needs it. The HTTP server loads it
// in the background after it starts (warmUpMjml), so no request waits for it.
const loadMjml = () => import('mjml');
export const warmUpMjml = () => loadMjml().then(() => undefined);

/**
 * MJML's output, tidied where no client renders a difference: the indentation it leaves at
 * line ends goes (bytes every recipient downloads), the doctype is written as pages write it.
 */
const tidy = (html: string) => html.replace(/[ \t]+$/gm, '').replace(/^<!doctype html>/i, '<!DOCTYPE html>');

export async function renderEmail(
  template: string,
  /** `title` names the HTML document (a web view's tab); the subject when absent. */
  data: Record<string, unknown> & { subject: string; title?: string; org: Organisation },
  options: { strict?: boolean } = {},
): Promise<RenderedEmail> {
  const markup = htmlTemplates.render(`${template}.mjml`, data);
  const { default: mjml2html } = await loadMjml();
  const compiled = await mjml2html(markup, {
    validationLevel: options.strict ? 'strict' : 'soft',
    filePath: emailsDirectory,
  });
  if (compiled.errors.length > 0 && options.strict) {
    throw new EmailTemplateError(compiled.errors.map((e) => e.formattedMessage).join('; '));
  }
  const text = textTemplates.render(`${template}.txt`, data).replace(/\n{3,}/g, '\n\n').trim() + '\n';
  return { html: tidy(compiled.html), text };
}
