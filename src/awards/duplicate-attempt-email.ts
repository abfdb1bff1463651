import type { Config } from '../config';
import { toDate, type Db } from '../db';
import type { MailJobHandler } from '../mail/job-runner';
import { renderEmail, organisationOf } from '../mail/render';
import { programmeSender } from '../mail/sender';
import { findCategoryById, findEntryById, findProgrammeById } from './queries';
import { receiptUrl } from './service';
import { formatInZone } from './time';

/**
 * To the first entry's contact: another entry for the same organisation and category was
 * attempted, and when. Nothing about the person who tried: the attempt stored nothing.
 */
export function duplicateAttemptEmailHandler(deps: { db: Db; config: Config }): MailJobHandler {
  return async (job) => {
    const entry = job.entry_id ? await findEntryById(deps.db, job.entry_id) : undefined;
    if (!entry) return null;
    const [programme, category] = await Promise.all([findProgrammeById(deps.db, entry.programme_id), findCategoryById(deps.db, entry.category_id)]);
    if (!programme || !category) return null;
    const subject = `Another entry was attempted for ${entry.organisation}: ${programme.name}`;
    const { html, text } = await renderEmail('entry-duplicate-attempt', {
      subject,
      org: organisationOf(deps.config),
      entry,
      programme,
      category,
      attemptedAt: formatInZone(toDate(job.created_at) ?? new Date(), programme.time_zone),
      receiptUrl: receiptUrl(deps, programme.slug, entry),
      footerNote: `You received this email because your entry to ${programme.name} named this address as its contact.`,
    });
    return { to: { name: entry.contact_name, address: entry.contact_email }, from: programmeSender(deps.config.mailFrom, programme), subject, html, text };
  };
}
