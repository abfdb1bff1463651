import { createVerify, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { badRequest } from '../../errors';
import type { BounceReport } from '../rules';
import { dateOr, forbidden, readJson, type WebhookProvider } from './common';

/**
 * Amazon SES bounce and complaint notifications, delivered by SNS. Every SNS message is
 * signed with a key whose certificate SNS names in SigningCertURL; the URL must be https
 * on SNS's own domain, so a forger cannot point us at a certificate of their own. A valid
 * signature only proves the message came through SNS, so the topic must also be one of
 * ours (SES_SNS_TOPIC_ARNS): anyone can sign through a topic in their own AWS account.
 */

/** Fetches a URL's body as text: the certificate and the subscription confirmation. Injected, so tests never reach AWS. */
export type SnsFetch = (url: string) => Promise<string>;

const SNS_HOST = /^sns\.[a-z0-9-]{1,30}\.amazonaws\.com(\.cn)?$/;

/** Whether `value` is an https URL on SNS's domain (and, for a certificate, a .pem file). */
export function isSnsUrl(value: string, certificate: boolean): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' || url.port || url.username || url.password || !SNS_HOST.test(url.hostname)) return false;
  return !certificate || url.pathname.endsWith('.pem');
}

const snsMessage = z.object({
  Type: z.enum(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']),
  MessageId: z.string().max(100),
  TopicArn: z.string().max(300),
  Message: z.string().max(300_000),
  Timestamp: z.string().max(40),
  SignatureVersion: z.enum(['1', '2']),
  Signature: z.string().max(2000),
  SigningCertURL: z.string().max(500),
  Subject: z.string().max(200).optional(),
  SubscribeURL: z.string().max(1000).optional(),
  Token: z.string().max(1000).optional(),
});

type SnsMessage = z.output<typeof snsMessage>;

/** The string SNS signs: chosen keys in byte order, each "Key\nValue\n" (AWS's "Verifying the signatures of Amazon SNS messages"). */
export function snsStringToSign(message: SnsMessage): string {
  const keys =
    message.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return keys
    .filter((key) => message[key as keyof SnsMessage] !== undefined)
    .map((key) => `${key}\n${message[key as keyof SnsMessage]}\n`)
    .join('');
}

// The SES notification inside an SNS Notification: the "notificationType" of plain
// notifications or the "eventType" of a configuration set's event publishing.
const recipient = z.object({ emailAddress: z.string().max(300) });
const sesNotification = z.looseObject({
  notificationType: z.string().max(40).optional(),
  eventType: z.string().max(40).optional(),
  bounce: z
    .looseObject({
      bounceType: z.string().max(40),
      bouncedRecipients: z.array(recipient).max(100),
      timestamp: z.string().max(40).optional(),
      feedbackId: z.string().max(200),
    })
    .optional(),
  complaint: z
    .looseObject({
      complainedRecipients: z.array(recipient).max(100),
      timestamp: z.string().max(40).optional(),
      feedbackId: z.string().max(200),
      complaintFeedbackType: z.string().max(40).optional(),
    })
    .optional(),
  mail: z
    .looseObject({
      messageId: z.string().max(300).optional(),
      headers: z.array(z.object({ name: z.string(), value: z.string() })).max(500).optional(),
      commonHeaders: z.looseObject({ messageId: z.string().max(300).optional() }).optional(),
    })
    .optional(),
});

type SesNotification = z.output<typeof sesNotification>;

/** SES sets its own Message-ID; ours is in the original headers it reports. */
function originalMessageId(mail: SesNotification['mail']): string | null {
  return mail?.commonHeaders?.messageId ?? mail?.headers?.find((h) => h.name.toLowerCase() === 'message-id')?.value ?? null;
}

/** The reports in one SES notification: one per recipient. "Undetermined" bounces count as soft. */
export function sesReports(notification: SesNotification, now: Date): BounceReport[] {
  const type = notification.notificationType ?? notification.eventType;
  const messageId = originalMessageId(notification.mail);
  if (type === 'Bounce' && notification.bounce) {
    const { bounce } = notification;
    const kind = bounce.bounceType === 'Permanent' ? 'hard_bounce' : 'soft_bounce';
    return bounce.bouncedRecipients.map((r) => ({
      providerEventId: `${bounce.feedbackId}:${r.emailAddress.toLowerCase()}`,
      kind,
      email: r.emailAddress,
      messageId,
      occurredAt: dateOr(bounce.timestamp, now),
    }));
  }
  if (type === 'Complaint' && notification.complaint) {
    const { complaint } = notification;
    // "not-spam" is a reader taking a message out of spam: no complaint.
    if (complaint.complaintFeedbackType === 'not-spam') return [];
    return complaint.complainedRecipients.map((r) => ({
      providerEventId: `${complaint.feedbackId}:${r.emailAddress.toLowerCase()}`,
      kind: 'complaint' as const,
      email: r.emailAddress,
      messageId,
      occurredAt: dateOr(complaint.timestamp, now),
    }));
  }
  return []; // deliveries, sends, opens: nothing to act on
}

const CACHE_LIMIT = 20;

export function sesProvider(options: { topicArns: string[]; fetch: SnsFetch }): WebhookProvider {
  // Certificates by URL: SNS signs with a handful, rotated rarely.
  const certificates = new Map<string, Promise<X509Certificate>>();

  function certificateAt(url: string): Promise<X509Certificate> {
    let cached = certificates.get(url);
    if (!cached) {
      cached = options.fetch(url).then((pem) => new X509Certificate(pem));
      cached.catch(() => certificates.delete(url));
      if (certificates.size >= CACHE_LIMIT) certificates.delete(certificates.keys().next().value!);
      certificates.set(url, cached);
    }
    return cached;
  }

  async function verify(message: SnsMessage): Promise<boolean> {
    if (!isSnsUrl(message.SigningCertURL, true)) return false;
    let certificate: X509Certificate;
    try {
      certificate = await certificateAt(message.SigningCertURL);
    } catch {
      return false;
    }
    const now = new Date();
    if (new Date(certificate.validFrom) > now || new Date(certificate.validTo) < now) return false;
    const verifier = createVerify(message.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
    verifier.update(snsStringToSign(message), 'utf8');
    try {
      return verifier.verify(certificate.publicKey, message.Signature, 'base64');
    } catch {
      return false;
    }
  }

  return {
    async receive(request) {
      const message = readJson(request.body, snsMessage);
      if (!(await verify(message))) throw forbidden();
      if (!options.topicArns.includes(message.TopicArn)) throw forbidden('This SNS topic is not one of ours.');
      if (message.Type === 'SubscriptionConfirmation') {
        if (!message.SubscribeURL || !isSnsUrl(message.SubscribeURL, false)) throw badRequest('The SubscribeURL is not on SNS.');
        await options.fetch(message.SubscribeURL);
        return [];
      }
      if (message.Type !== 'Notification') return [];
      return sesReports(readJson(Buffer.from(message.Message, 'utf8'), sesNotification), new Date());
    },
  };
}

/** The default fetch: https only, no redirects, a small body, a short wait. */
export const httpsFetch: SnsFetch = async (url) => {
  const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${new URL(url).host} answered ${response.status}`);
  const text = await response.text();
  if (text.length > 64 * 1024) throw new Error('response too large');
  return text;
};
