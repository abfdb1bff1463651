import { z } from 'zod';

/**
 * A sender name: how the From line names MAIL_FROM's address for a topic's digests or a
 * programme's emails. One line of text; null (or an empty string) goes back to MAIL_FROM's name.
 */
export const senderNameInput = z
  .string({ error: 'senderName is a name such as "The Finance Desk", or null.' })
  .trim()
  .max(120, 'A sender name has at most 120 characters.')
  .refine((v) => !/[\p{Cc}]/u.test(v), 'A sender name is one line of text.')
  .transform((v) => v || null)
  .nullable();

export const topicPatch = z.object({ senderName: senderNameInput }).strict();

export const topicSlugParam = z.object({ slug: z.string().regex(/^[a-z0-9-]{1,40}$/, 'slug is a topic slug') });
