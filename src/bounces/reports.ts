import { createHash } from 'node:crypto';
import { simpleParser, type Attachment } from 'mailparser';
import { kindOfStatus, type BounceReport } from './rules';

/**
 * Bounce and complaint reports that arrive as email: delivery status notifications
 * (RFC 3464, `multipart/report; report-type=delivery-status`) and abuse reports in the
 * Abuse Reporting Format (RFC 5965, `report-type=feedback-report`). Anything else, and any
 * report that names no recipient or no original Message-ID, is "not understood" (null).
 */

type Fields = Map<string, string>;

/** Header-style fields ("Name: value", folded lines joined), keys in lower case; the first of each wins. */
function fieldsOf(block: string): Fields {
  const fields: Fields = new Map();
  for (const line of block.replace(/\r\n/g, '\n').replace(/\n[ \t]+/g, ' ').split('\n')) {
    const match = /^([!-9;-~]+):\s*(.*)$/.exec(line);
    if (match && !fields.has(match[1].toLowerCase())) fields.set(match[1].toLowerCase(), match[2].trim());
  }
  return fields;
}

/** A report part's field groups, split at blank lines (a DSN: the message's, then one per recipient). */
const groupsOf = (text: string) => text.replace(/\r\n/g, '\n').split(/\n\s*\n/).map(fieldsOf).filter((g) => g.size > 0);

/** "rfc822; someone@example.com" → "someone@example.com". */
const addressOf = (value: string | undefined) => value?.replace(/^[^;]*;\s*/, '').replace(/^<|>$/g, '').trim() || null;

const partOf = (attachments: Attachment[], ...types: string[]) => attachments.find((a) => types.includes(a.contentType.toLowerCase()));

/** The headers of the returned original: a text/rfc822-headers part, or the head of a message/rfc822 one. */
function originalHeaders(attachments: Attachment[]): Fields {
  const part = partOf(attachments, 'text/rfc822-headers', 'message/rfc822', 'message/rfc822-headers');
  if (!part) return new Map();
  const text = part.content.toString('utf8');
  return fieldsOf(text.replace(/\r\n/g, '\n').split(/\n\n/)[0]);
}

const dateOr = (value: string | undefined, fallback: Date) => {
  const date = value ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date : fallback;
};

export async function readReportMessage(source: Buffer, now = new Date()): Promise<BounceReport[] | null> {
  const mail = await simpleParser(source, { keepDeliveryStatus: true, ignoreEmbedded: true, skipHtmlToText: true, skipTextToHtml: true, checksumAlgo: false });
  const type = mail.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  if (type?.value?.toLowerCase() !== 'multipart/report') return null;
  // The report's own id keys the events, so the same report read twice is one event.
  const reportId = mail.messageId ?? createHash('sha256').update(source).digest('hex');
  const received = mail.date ?? now;
  const original = originalHeaders(mail.attachments);
  const reportType = type.params?.['report-type']?.toLowerCase();

  if (reportType === 'delivery-status') {
    const part = partOf(mail.attachments, 'message/delivery-status', 'message/global-delivery-status');
    if (!part) return null;
    const [perMessage, ...perRecipient] = groupsOf(part.content.toString('utf8'));
    const messageId = perMessage?.get('original-message-id') ?? original.get('message-id') ?? null;
    if (!messageId) return null;
    const reports: BounceReport[] = [];
    for (const recipient of perRecipient) {
      const action = recipient.get('action')?.toLowerCase();
      const kind = kindOfStatus(recipient.get('status') ?? '');
      const email = addressOf(recipient.get('final-recipient') ?? recipient.get('original-recipient'));
      if (!email || !kind || (action !== 'failed' && action !== 'delayed')) continue;
      reports.push({ providerEventId: `${reportId}:${email.toLowerCase()}`, kind, email, messageId, occurredAt: dateOr(perMessage?.get('arrival-date'), received) });
    }
    return reports.length ? reports : null;
  }

  if (reportType === 'feedback-report') {
    const part = partOf(mail.attachments, 'message/feedback-report');
    if (!part) return null;
    const feedback = fieldsOf(part.content.toString('utf8'));
    if (feedback.get('feedback-type')?.toLowerCase() === 'not-spam') return null;
    const messageId = original.get('message-id') ?? null;
    const email = addressOf(feedback.get('original-rcpt-to')) ?? addressOf(original.get('to'));
    if (!messageId || !email) return null;
    return [{ providerEventId: `${reportId}:${email.toLowerCase()}`, kind: 'complaint', email, messageId, occurredAt: dateOr(feedback.get('arrival-date'), received) }];
  }
  return null;
}
