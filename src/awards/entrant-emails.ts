import type { Config } from '../config';
import { toDate, type Db } from '../db';
import type { MailJobHandler } from '../mail/job-runner';
import { listAuditEntries } from '../audit/queries';
import { organisationOf, renderEmail } from '../mail/render';
import { DRAFT_REMINDER_1D_MAIL, DRAFT_REMINDER_7D_MAIL } from './draft-reminders';
import { draftUrl, draftValues, DRAFT_SAVED_MAIL } from './drafts';
import { ENTRY_UPDATED_MAIL } from './entry-editing';
import { SIGN_IN_MAIL, signInUrl } from './my-entries';
import { findDraftById, findEntryById, findProgrammeById, findSignInById, hasEntriesOrDrafts } from './queries';
import { receiptUrl } from './service';
import { formatInZone } from './time';

/**
 * The entrant's emails about drafts, edits and "my entries", each built at send time from
 * the row it is about (a draft submitted meanwhile gets no reminder). One template,
 * emails/entrant-notice, with the words of each message here.
 */
type Deps = { db: Db; config: Config };

const FIELD_NAMES: Record<string, string> = {
  category: 'category',
  organisation: 'organisation',
  nominee: 'nominee',
  country: 'country',
  website: 'website',
  contactName: 'contact name',
  jobTitle: 'job title',
  contactEmail: 'contact email',
  contactPhone: 'contact phone',
  statement: 'supporting statement',
  notForPublication: 'not for publication',
  documents: 'documents',
};

interface Notice {
  to: string;
  name?: string | null;
  subject: string;
  heading: string;
  paragraphs: string[];
  fields?: string[];
  url: string;
  buttonLabel: string;
  note: string;
  footerNote: string;
}

async function compose(deps: Deps, notice: Notice) {
  const { html, text } = await renderEmail('entrant-notice', { ...notice, org: organisationOf(deps.config) });
  return { to: notice.name ? { name: notice.name, address: notice.to } : notice.to, subject: notice.subject, html, text };
}

async function openDraft(deps: Deps, draftId: number | null | undefined) {
  const draft = draftId ? await findDraftById(deps.db, draftId) : undefined;
  if (!draft || draft.status !== 'draft') return null;
  const programme = await findProgrammeById(deps.db, draft.programme_id);
  if (!programme || (toDate(programme.closes_at)?.getTime() ?? 0) <= Date.now()) return null;
  return { draft, programme, deadline: formatInZone(toDate(programme.closes_at)!, programme.time_zone), name: draftValues(draft).contactName || null };
}

const draftFooter = (programme: string) => `You received this email because a draft entry to ${programme} named this address as its contact.`;

/** "Continue your entry": the draft's private link, right after it is first saved. */
export function draftSavedEmailHandler(deps: Deps): MailJobHandler {
  return async (job) => {
    const found = await openDraft(deps, job.draft_id);
    if (!found) return null;
    const { draft, programme, deadline, name } = found;
    return compose(deps, {
      to: draft.contact_email,
      name,
      subject: `Continue your entry to ${programme.name}`,
      heading: 'Your draft is saved',
      paragraphs: [`Your draft entry to ${programme.name} is saved. Continue it, with the documents you attached, whenever you are ready: entries close on ${deadline}.`],
      url: draftUrl(deps, programme.slug, draft),
      buttonLabel: 'Continue your entry',
      note: 'Keep this email: the button is your private link to the draft.',
      footerNote: draftFooter(programme.name),
    });
  };
}

/** The reminders 7 days and 1 day before the deadline. */
export function draftReminderEmailHandler(deps: Deps, kind: typeof DRAFT_REMINDER_7D_MAIL | typeof DRAFT_REMINDER_1D_MAIL): MailJobHandler {
  const when = kind === DRAFT_REMINDER_1D_MAIL ? 'tomorrow' : 'in a week';
  return async (job) => {
    const found = await openDraft(deps, job.draft_id);
    if (!found) return null;
    const { draft, programme, deadline, name } = found;
    return compose(deps, {
      to: draft.contact_email,
      name,
      subject: `Entries to ${programme.name} close ${when}`,
      heading: `Entries close ${when}`,
      paragraphs: [`Your draft entry to ${programme.name} has not been submitted yet. Entries close on ${deadline}; a draft is not an entry until you submit it.`],
      url: draftUrl(deps, programme.slug, draft),
      buttonLabel: 'Continue your entry',
      note: 'If you have decided not to enter, ignore this email.',
      footerNote: draftFooter(programme.name),
    });
  };
}

/** "Entry updated": the fields changed (names only), and the receipt link. */
export function entryUpdatedEmailHandler(deps: Deps): MailJobHandler {
  return async (job) => {
    const entry = job.entry_id ? await findEntryById(deps.db, job.entry_id) : undefined;
    const programme = entry ? await findProgrammeById(deps.db, entry.programme_id) : undefined;
    if (!entry || !programme) return null;
    // The fields named by the latest edit's audit line (names only, as the log keeps them).
    const [edit] = (await listAuditEntries(deps.db, { entity: 'entries', entityId: entry.reference }, 0, 5)).filter((a) => a.action === 'entries.entrant_edit');
    const fields = edit?.details ? ((JSON.parse(edit.details) as { fields?: string[] }).fields ?? []) : [];
    return compose(deps, {
      fields: fields.map((f) => FIELD_NAMES[f] ?? f),
      to: entry.contact_email,
      name: entry.contact_name,
      subject: `Entry updated: ${entry.reference}, ${programme.name}`,
      heading: 'Your entry is updated',
      paragraphs: [`Your entry ${entry.reference} to ${programme.name} was changed. If you did not make this change, contact us.`],
      url: receiptUrl(deps, programme.slug, entry),
      buttonLabel: 'View your entry',
      note: `You can change it until entries close on ${formatInZone(toDate(programme.closes_at)!, programme.time_zone)}.`,
      footerNote: `You received this email because an entry to ${programme.name} named this address as its contact.`,
    });
  };
}

/** The "my entries" sign-in link; an address with neither entries nor drafts gets nothing (the page said the same either way). */
export function signInEmailHandler(deps: Deps): MailJobHandler {
  return async (job) => {
    const signIn = job.sign_in_id ? await findSignInById(deps.db, job.sign_in_id) : undefined;
    if (!signIn || signIn.consumed_at || (toDate(signIn.expires_at)?.getTime() ?? 0) <= Date.now()) return null;
    if (!(await hasEntriesOrDrafts(deps.db, signIn.email_key))) return null;
    return compose(deps, {
      to: signIn.email_key,
      subject: `Your entries at ${deps.config.orgName}`,
      heading: 'Sign in to your entries',
      paragraphs: [`Someone, hopefully you, asked to see the award entries of this address at ${deps.config.orgName}.`],
      url: signInUrl(deps.config, signIn),
      buttonLabel: 'See my entries',
      note: 'The link works once, for 15 minutes. If you did not ask for it, ignore this email.',
      footerNote: `You received this email because this address was typed on the “My entries” page of ${deps.config.orgName}.`,
    });
  };
}

export const entrantEmailHandlers = (deps: Deps): Record<string, MailJobHandler> => ({
  [DRAFT_SAVED_MAIL]: draftSavedEmailHandler(deps),
  [DRAFT_REMINDER_7D_MAIL]: draftReminderEmailHandler(deps, DRAFT_REMINDER_7D_MAIL),
  [DRAFT_REMINDER_1D_MAIL]: draftReminderEmailHandler(deps, DRAFT_REMINDER_1D_MAIL),
  [ENTRY_UPDATED_MAIL]: entryUpdatedEmailHandler(deps),
  [SIGN_IN_MAIL]: signInEmailHandler(deps),
});
