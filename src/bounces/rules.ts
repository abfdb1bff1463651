/**
 * The words and rules of bounces and complaints (CONTRACT part two). A "hard bounce" says
 * the address does not exist or refuses for good; a "soft bounce" says not now (mailbox
 * full, greylisted); a "complaint" is the reader pressing "this is spam". A report that
 * names no delivery we can verify is "unmatched": stored, never acted on.
 */

export type EventKind = 'hard_bounce' | 'soft_bounce' | 'complaint';

export type Provider = 'ses' | 'postmark' | 'generic' | 'mailbox';

/** One provider event, whatever its format, for one recipient. */
export interface BounceReport {
  providerEventId: string;
  kind: EventKind;
  email: string;
  /** The Message-ID of the message the report is about, if the report carries it. */
  messageId: string | null;
  occurredAt: Date;
}

export const SOFT_BOUNCE_LIMIT = 3;
export const SOFT_BOUNCE_WINDOW_MS = 30 * 24 * 60 * 60_000;
/** Gmail's and Yahoo's bulk-sender guidance: keep complaints under 0.3% of messages sent. */
export const COMPLAINT_RATE_LIMIT = 0.003;

export type Consequence = 'bounced' | 'unsubscribed' | null;

/** What an event does to its subscriber, given how many soft bounces (this one included) fell in the window. */
export function consequenceOf(kind: EventKind, softBouncesInWindow: number): Consequence {
  if (kind === 'hard_bounce') return 'bounced';
  if (kind === 'complaint') return 'unsubscribed';
  return softBouncesInWindow >= SOFT_BOUNCE_LIMIT ? 'bounced' : null;
}

/** The digest's warning when its complaint rate passes the limit; null below it. */
export function complaintWarning(complaints: number, sent: number): string | null {
  if (!sent || complaints / sent <= COMPLAINT_RATE_LIMIT) return null;
  const rate = ((complaints / sent) * 100).toFixed(2);
  return `Complaints are ${rate}% of messages sent (${complaints} of ${sent}), above the 0.3% that Gmail and Yahoo allow bulk senders. Check who receives this topic and how they signed up.`;
}

/** A status code from a DSN or an SMTP reply: 5.x.x is permanent, 4.x.x temporary, anything else no bounce. */
export function kindOfStatus(status: string): EventKind | null {
  const match = /^\s*([245])\.\d{1,3}\.\d{1,3}/.exec(status);
  if (!match) return null;
  return match[1] === '5' ? 'hard_bounce' : match[1] === '4' ? 'soft_bounce' : null;
}
