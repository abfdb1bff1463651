import type { Config } from '../config';
import type { Db } from '../db';
import type { MailJobHandler } from '../mail/job-runner';
import { renderEmail, organisationOf } from '../mail/render';
import { programmeSender } from '../mail/sender';
import { COUNTRIES } from './countries';
import { findCategoryById, findEntryById, findProgrammeById, listDocuments } from './queries';
import { receiptUrl } from './service';

/** The entrant's confirmation: reference, programme, category, a copy of the entry, the private receipt link. */
export function entryConfirmationEmailHandler(deps: { db: Db; config: Config }): MailJobHandler {
  return async (job) => {
    const entry = job.entry_id ? await findEntryById(deps.db, job.entry_id) : undefined;
    if (!entry) return null;
    const [programme, category, documents] = await Promise.all([
      findProgrammeById(deps.db, entry.programme_id),
      findCategoryById(deps.db, entry.category_id),
      listDocuments(deps.db, [entry.id]),
    ]);
    if (!programme || !category) return null;
    const subject = `Entry received: ${entry.reference}, ${programme.name}`;
    const country = COUNTRIES.find((c) => c.code === entry.country)?.name ?? entry.country;
    const { html, text } = await renderEmail('entry-confirmation', {
      subject,
      org: organisationOf(deps.config),
      entry,
      programme,
      category,
      rows: [
        ['Category', category.name],
        ['Organisation', entry.organisation],
        ['Nominee', entry.nominee ?? '—'],
        ['Country', country],
        ['Website', entry.website],
        ['Contact', `${entry.contact_name}, ${entry.job_title}`],
        ['Email', entry.contact_email],
        ['Phone', entry.contact_phone ?? '—'],
        ['Documents', documents.length ? documents.map((d) => d.original_name).join(', ') : 'none'],
      ],
      statement: entry.statement,
      receiptUrl: receiptUrl(deps, programme.slug, entry),
      footerNote: `You received this email because an entry to ${programme.name} named this address as its contact.`,
    });
    return { to: { name: entry.contact_name, address: entry.contact_email }, from: programmeSender(deps.config.mailFrom, programme), subject, html, text };
  };
}
