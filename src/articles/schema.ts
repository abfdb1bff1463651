import { z } from 'zod';
import { pageQuery } from '../http/listing';
import { canonicalUrl, cleanLine } from './plain-text';

/** Input shapes for the articles and feeds admin API, checked at the edge. */

const topicSlug = z.string({ error: 'topic is a topic slug' }).regex(/^[a-z0-9-]{1,40}$/, 'topic is a topic slug');

const line = (label: string, max: number) =>
  z
    .string({ error: `${label} is text` })
    .transform(cleanLine)
    .pipe(z.string().min(1, `${label} must not be empty`).max(max, `${label} has at most ${max} characters`));

const httpUrl = (label: string) =>
  z
    .string({ error: `${label} is a URL` })
    .max(2000, `${label} has at most 2000 characters`)
    .transform((value, ctx) => {
      const url = canonicalUrl(value);
      if (!url) {
        ctx.addIssue({ code: 'custom', message: `${label} must be an http or https URL` });
        return z.NEVER;
      }
      return url;
    });

const instant = (label: string) =>
  z.iso
    .datetime({ offset: true, error: `${label} is an ISO 8601 date and time, such as 2026-11-30T09:00:00Z` })
    .transform((value) => new Date(value));

export const articleInput = z.object({
  title: line('title', 300),
  url: httpUrl('url'),
  // Plain text; paragraphs are kept as single spaces, as a digest card shows them.
  summary: line('summary', 5000),
  topic: topicSlug,
  publishedAt: instant('publishedAt'),
  imageUrl: httpUrl('imageUrl').nullish(),
  author: line('author', 200).nullish(),
  tags: z
    .array(line('a tag', 60), { error: 'tags is a list of words' })
    .max(20, 'tags has at most 20 entries')
    .optional()
    .transform((tags) => [...new Set(tags ?? [])]),
  readingMinutes: z
    .number({ error: 'readingMinutes is a whole number' })
    .int('readingMinutes is a whole number')
    .min(1, 'readingMinutes is at least 1')
    .max(600, 'readingMinutes is at most 600')
    .nullish(),
});

export type ArticleInput = z.output<typeof articleInput>;

export const articleListQuery = pageQuery.extend({ topic: topicSlug.optional() });

export const feedInput = z.object({
  url: httpUrl('url'),
  topic: topicSlug,
});

export const idParam = z.object({
  id: z.coerce.number({ error: 'the id is a whole number' }).int('the id is a whole number').min(1, 'the id is a whole number'),
});

/** An article as the admin API shows it. */
export interface ArticleView {
  id: number;
  title: string;
  url: string;
  summary: string;
  topic: string;
  publishedAt: string;
  updatedAt: string;
  author: string | null;
  imageUrl: string | null;
  tags: string[];
  readingMinutes: number;
  feedId: number | null;
}
