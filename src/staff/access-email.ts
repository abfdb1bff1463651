import type { Config } from '../config';
import type { Db } from '../db';
import type { MailJobHandler } from '../mail/job-runner';
import { renderEmail, organisationOf } from '../mail/render';
import { staffLinkUrl } from './links';
import { findStaffById } from './queries';
import { STAFF_RESET_MAIL, STAFF_WELCOME_MAIL } from './service';

const COPY = {
  [STAFF_WELCOME_MAIL]: {
    purpose: 'staff-welcome',
    subject: (org: string) => `Your staff console account at ${org}`,
    heading: 'Set your password',
    intro: (org: string, role: string) => `An account with the ${role} role has been created for you on the staff console of ${org}. Choose a password to start.`,
    buttonLabel: 'Set my password',
    validity: 'The link works once, for 72 hours. If you did not expect this email, ignore it.',
  },
  [STAFF_RESET_MAIL]: {
    purpose: 'staff-reset',
    subject: (org: string) => `Reset your staff console password at ${org}`,
    heading: 'Reset your password',
    intro: (org: string) => `Someone, hopefully you, asked to reset your password for the staff console of ${org}.`,
    buttonLabel: 'Choose a new password',
    validity: 'The link works once, for 1 hour. If you did not ask for this, ignore this email: your password stays as it is.',
  },
} as const;

/** Welcome and password-reset emails, built at send time so the link carries the account's current nonce. */
export function staffAccessEmailHandler(deps: { db: Db; config: Config }, kind: keyof typeof COPY): MailJobHandler {
  const copy = COPY[kind];
  return async (job) => {
    const staff = job.staff_id ? await findStaffById(deps.db, job.staff_id) : undefined;
    if (!staff || staff.disabled_at) return null;
    if (kind === STAFF_WELCOME_MAIL && staff.password_hash) return null; // already set up meanwhile
    const subject = copy.subject(deps.config.orgName);
    const { html, text } = await renderEmail('staff-access', {
      subject,
      org: organisationOf(deps.config),
      name: staff.name,
      heading: copy.heading,
      intro: copy.intro(deps.config.orgName, staff.role),
      buttonLabel: copy.buttonLabel,
      url: staffLinkUrl(deps.config, staff, copy.purpose),
      validity: copy.validity,
      footerNote: `You received this email because this address has a staff console account at ${deps.config.orgName}.`,
    });
    return { to: staff.email, subject, html, text };
  };
}
