import { z } from 'zod';
import { cleanLine } from '../articles/plain-text';

/** Input shapes for digests, checked at the edge. */

const topicSlug = z.string({ error: 'topic is a topic slug' }).regex(/^[a-z0-9-]{1,40}$/, 'topic is a topic slug');

export const DEFAULT_DIGEST_LIMIT = 10;

export const digestLimit = z.coerce
  .number({ error: 'limit is a whole number' })
  .int('limit is a whole number')
  .min(1, 'limit is at least 1')
  .max(50, 'limit is at most 50')
  .default(DEFAULT_DIGEST_LIMIT);

export const previewQuery = z.object({ topic: topicSlug, limit: digestLimit });

/** What composing a digest takes (issue 5's POST /api/admin/digests adds its own fields). */
export const composeInput = z.object({
  topic: topicSlug,
  limit: digestLimit,
  subject: z
    .string({ error: 'subject is text' })
    .transform(cleanLine)
    .pipe(z.string().min(1, 'subject must not be empty').max(200, 'subject has at most 200 characters'))
    .nullish(),
});

export type ComposeInput = z.output<typeof composeInput>;

export const digestIdParam = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{16}$/) });
