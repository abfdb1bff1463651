import { z } from 'zod';
import { AppError } from '../../errors';
import { safeEqual } from '../../tokens';
import type { BounceReport, EventKind } from '../rules';
import { dateOr, readJson, type WebhookProvider } from './common';

/**
 * Postmark's Bounce and SpamComplaint webhooks, behind HTTP basic auth (the user and
 * password are part of the webhook URL set in Postmark). Postmark replaces the Message-ID
 * of what it sends unless the message carries `X-PM-KeepID: true`; the original one is
 * also found in the bounce's `Content` (with "Include bounce content" on) or in a
 * `Headers` list when present.
 */
const KIND_OF_TYPE: Record<string, EventKind> = {
  HardBounce: 'hard_bounce',
  BadEmailAddress: 'hard_bounce',
  SoftBounce: 'soft_bounce',
  Transient: 'soft_bounce',
  DnsError: 'soft_bounce',
  SpamComplaint: 'complaint',
};

const postmarkBody = z.looseObject({
  RecordType: z.string().max(40).optional(),
  ID: z.union([z.number(), z.string().max(100)]),
  Type: z.string().max(40).optional(),
  Email: z.string().min(3).max(254),
  MessageID: z.string().max(300).optional(),
  BouncedAt: z.string().max(60).optional(),
  Content: z.string().max(200_000).optional(),
  Headers: z.array(z.object({ Name: z.string(), Value: z.string() })).max(200).optional(),
});

const unauthorised = () => new AppError(401, 'unauthorized', 'These credentials are not accepted.');

/** The original Message-ID from a copy of the message's headers, if the payload holds one. */
function originalMessageId(body: z.output<typeof postmarkBody>): string | null {
  const header = body.Headers?.find((h) => h.Name.toLowerCase() === 'message-id');
  if (header) return header.Value;
  const inContent = body.Content && /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(body.Content);
  if (inContent) return inContent[1];
  return body.MessageID ?? null;
}

export function postmarkProvider(credentials: { user: string; password: string }): WebhookProvider {
  const expected = `${credentials.user}:${credentials.password}`;
  return {
    async receive(request) {
      const auth = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(request.header('authorization') ?? '');
      const given = auth ? Buffer.from(auth[1], 'base64').toString('utf8') : '';
      if (!safeEqual(given, expected)) throw unauthorised();
      const body = readJson(request.body, postmarkBody);
      const kind = KIND_OF_TYPE[body.RecordType === 'SpamComplaint' ? 'SpamComplaint' : (body.Type ?? '')];
      // Other types (auto-responders, subscription changes, …) say nothing about the address.
      if (!kind) return [];
      const report: BounceReport = {
        providerEventId: `${body.RecordType ?? 'Bounce'}:${body.ID}`,
        kind,
        email: body.Email,
        messageId: originalMessageId(body),
        occurredAt: dateOr(body.BouncedAt, new Date()),
      };
      return [report];
    },
  };
}
