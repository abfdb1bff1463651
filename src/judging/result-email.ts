import type { Config } from '../config';
import type { Db } from '../db';
import { findCategoryById, findEntryById, findProgrammeById } from '../awards/queries';
import type { MailJobHandler } from '../mail/job-runner';
import { renderEmail, organisationOf } from '../mail/render';
import { programmeSender } from '../mail/sender';
import { outcomeOf } from './service';

const COPY = {
  winner: { subject: 'Congratulations', heading: (category: string) => `You have won ${category}` },
  shortlisted: { subject: 'Shortlisted', heading: (category: string) => `You are shortlisted in ${category}` },
  not_shortlisted: { subject: 'Results', heading: (category: string) => `The results of ${category}` },
} as const;

/**
 * The entrant's result, built at send time from the entry's status: winner, shortlisted or
 * not shortlisted. It says nothing of judges, scores or comments. Sent only once the
 * programme's results are released (the job is queued at the release).
 */
export function resultEmailHandler(deps: { db: Db; config: Config }): MailJobHandler {
  return async (job) => {
    const entry = job.entry_id ? await findEntryById(deps.db, job.entry_id) : undefined;
    if (!entry || entry.status === 'withdrawn') return null;
    const [programme, category] = await Promise.all([findProgrammeById(deps.db, entry.programme_id), findCategoryById(deps.db, entry.category_id)]);
    if (!programme || !category || !programme.results_released_at) return null;
    const outcome = outcomeOf(entry.status);
    const copy = COPY[outcome];
    const subject = `${copy.subject}: ${programme.name}, ${entry.reference}`;
    const { html, text } = await renderEmail('results-outcome', {
      subject,
      org: organisationOf(deps.config),
      outcome,
      heading: copy.heading(category.name),
      entry,
      programme,
      category,
      winnersUrl: `${deps.config.baseUrl}/awards/${programme.slug}/winners`,
      footerNote: `You received this email because an entry to ${programme.name} named this address as its contact.`,
    });
    return { to: entry.contact_email, from: programmeSender(deps.config.mailFrom, programme), subject, html, text };
  };
}
