import { z } from 'zod';
import { pageQuery } from '../http/listing';
import { emailAddress } from '../subscribers/schema';

const topicSlug = z.string({ error: 'topic is a topic slug' }).regex(/^[a-z0-9-]{1,40}$/, 'topic is a topic slug');

/** A digest trigger of one topic (the console, the CLI). */
export const digestTrigger = z
  .object({
    topic: topicSlug,
    limit: z.number({ error: 'limit is a whole number from 1 to 50' }).int().min(1).max(50).optional(),
    subject: z
      .string()
      .trim()
      .min(1, 'subject cannot be empty')
      .max(300, 'subject has at most 300 characters')
      .refine((v) => !/[\r\n]/.test(v), 'subject must be on one line')
      .optional(),
    // Plain text above the lead story, in both parts of the email.
    intro: z
      .string({ error: 'intro is text' })
      .trim()
      .min(1, 'intro cannot be empty')
      .max(1000, 'intro has at most 1,000 characters')
      .optional(),
    testRecipients: z.array(emailAddress, { error: 'testRecipients is a list of addresses' }).min(1).max(20, 'at most 20 test recipients').optional(),
  })
  .strict();

export type DigestTrigger = z.output<typeof digestTrigger>;

/** The API's trigger body (POST /api/admin/digests): `{topic}`, or `{topics: [slug…]}` for one email per reader. */
export const digestApiTrigger = digestTrigger
  .extend({
    topic: topicSlug.optional(),
    topics: z.array(z.string({ error: 'topics is a list of topic slugs' }).regex(/^[a-z0-9-]{1,40}$/, 'topics is a list of topic slugs'), { error: 'topics is a list of topic slugs' })
      .min(1, 'topics names at least one topic')
      .max(20, 'topics names at most 20 topics')
      .optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.topic === undefined && value.topics === undefined) ctx.addIssue({ code: 'custom', path: ['topic'], message: 'topic is a topic slug' });
    if (value.topic !== undefined && value.topics !== undefined) ctx.addIssue({ code: 'custom', path: ['topics'], message: 'give topic or topics, not both' });
  });

export const idempotencyKey = z.string().trim().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'Idempotency-Key is printable ASCII without spaces');

export const digestListQuery = pageQuery.extend({
  topic: z.string({ error: 'topic is a topic slug' }).regex(/^[a-z0-9-]{1,40}$/, 'topic is a topic slug').optional(),
});
