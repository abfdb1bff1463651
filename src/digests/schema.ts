import { z } from 'zod';

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

export const digestIdParam = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{16}$/) });
