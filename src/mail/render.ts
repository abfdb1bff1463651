import nunjucks from 'nunjucks';
import { paths } from '../paths';
import { mjmlCompiler } from './mjml-compiler';

/**
 * Turns a template in emails/ into the two parts of a message. Nunjucks fills the data in
 * (HTML-escaped for the MJML, raw for the text), then MJML compiles the markup (in a
 * thread of its own: mjml-compiler.ts).
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

/**
 * MJML's output, tidied where no client renders a difference: the indentation it leaves at
 * line ends goes (bytes every recipient downloads), the doctype is written as pages write it,
 * and pictures lose what HTML does not allow (`height="auto"`, the default, which their
 * inline style says as well; the XHTML `/>`), so the web view is valid HTML.
 */
const tidy = (html: string) =>
  html
    .replace(/[ \t]+$/gm, '')
    .replace(/^<!doctype html>/i, '<!DOCTYPE html>')
    .replace(/<img\b([^>]*?)\s*\/>/g, (_, attributes: string) => `<img${attributes.replace(/\sheight="auto"/, '')}>`);

export async function renderEmail(
  template: string,
  /** `title` names the HTML document (a web view's tab); the subject when absent. */
  data: Record<string, unknown> & { subject: string; title?: string; org: Organisation },
  options: { strict?: boolean } = {},
): Promise<RenderedEmail> {
  const markup = htmlTemplates.render(`${template}.mjml`, data);
  const compiled = await mjmlCompiler.compile(markup, {
    validationLevel: options.strict ? 'strict' : 'soft',
    filePath: emailsDirectory,
  });
  if (compiled.errors.length > 0 && options.strict) {
    throw new EmailTemplateError(compiled.errors.join('; '));
  }
  const text = textTemplates.render(`${template}.txt`, data).replace(/\n{3,}/g, '\n\n').trim() + '\n';
  return { html: tidy(compiled.html), text };
}
