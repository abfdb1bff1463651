import { z } from 'zod';
import { pageQuery } from '../http/listing';
import { emailAddress } from '../subscribers/schema';

/** The digest trigger's body (POST /api/admin/digests). */
export const digestTrigger = z
  .object({
    topic: z.string({ error: 'topic is a topic slug' }).regex(/^[a-z0-9-]{1,40}$/, 'topic is a topic slug'),
    limit: z.number({ error: 'limit is a whole number from 1 to 50' }).int().min(1).max(50).optional(),
    subject: z
      .string()
      .trim()
      .min(1, 'subject cannot be empty')
      .max(300, 'subject has at most 300 characters')
      .refine((v) => !/[\r\n]/.test(v), 'subject must be on one line')
      .optional(),
    testRecipients: z.array(emailAddress, { error: 'testRecipients is a list of addresses' }).min(1).max(20, 'at most 20 test recipients').optional(),
  })
  .strict();

export type DigestTrigger = z.output<typeof digestTrigger>;

export const idempotencyKey = z.string().trim().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'Idempotency-Key is printable ASCII without spaces');

export const digestListQuery = pageQuery.extend({
  topic: z.string({ error: 'topic is a topic slug' }).regex(/^[a-z0-9-]{1,40}$/, 'topic is a topic slug').optional(),
});
