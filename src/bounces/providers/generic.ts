import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { BounceReport } from '../rules';
import { forbidden, readJson, type WebhookProvider } from './common';

/**
 * Masthead's own format, for any sender that can sign a POST: `X-Masthead-Signature` is the
 * hex HMAC-SHA256 of the raw body with WEBHOOK_SECRET (optionally prefixed `sha256=`).
 */
const genericEvent = z
  .object({
    id: z.string().min(1).max(200),
    type: z.enum(['bounce', 'complaint']),
    bounceType: z.enum(['hard', 'soft']).optional(),
    email: z.string().min(3).max(254),
    messageId: z.string().max(300).nullable().optional(),
    at: z.iso.datetime({ offset: true }),
  })
  .refine((e) => e.type !== 'bounce' || e.bounceType, { message: 'bounceType (hard or soft) is required for a bounce', path: ['bounceType'] });

const genericBody = z.object({ events: z.array(genericEvent).min(1).max(1000) });

export function genericProvider(secret: string): WebhookProvider {
  return {
    async receive(request) {
      const given = /^(?:sha256=)?([0-9a-f]{64})$/i.exec(request.header('x-masthead-signature')?.trim() ?? '');
      const expected = createHmac('sha256', secret).update(request.body).digest();
      if (!given || !timingSafeEqual(Buffer.from(given[1], 'hex'), expected)) throw forbidden();
      return readJson(request.body, genericBody).events.map(
        (e): BounceReport => ({
          providerEventId: e.id,
          kind: e.type === 'complaint' ? 'complaint' : e.bounceType === 'hard' ? 'hard_bounce' : 'soft_bounce',
          email: e.email,
          messageId: e.messageId ?? null,
          occurredAt: new Date(e.at),
        }),
      );
    },
  };
}
