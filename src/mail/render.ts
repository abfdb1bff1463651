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

export interface RenderedEmail {
  html: string;
  text: string;
}

export class EmailTemplateError extends Error {}

export async function renderEmail(
  template: string,
  data: Record<string, unknown> & { subject: string; org: Organisation },
  options: { strict?: boolean } = {},
): Promise<RenderedEmail> {
  const markup = htmlTemplates.render(`${template}.mjml`, data);
  // Loaded on first use: MJML is large (about 55 MB resident), and a sending process that
  // only personalises compiled digests never needs it.
  const { default: mjml2html } = await import('mjml');
  const compiled = await mjml2html(markup, {
    validationLevel: options.strict ? 'strict' : 'soft',
    filePath: emailsDirectory,
  });
  if (compiled.errors.length > 0 && options.strict) {
    throw new EmailTemplateError(compiled.errors.map((e) => e.formattedMessage).join('; '));
  }
  const text = textTemplates.render(`${template}.txt`, data).replace(/\n{3,}/g, '\n\n').trim() + '\n';
  return { html: compiled.html, text };
}
