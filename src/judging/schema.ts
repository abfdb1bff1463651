import { z } from 'zod';
import { staffEmail } from '../staff/schema';

/** Input shapes for judging: rounds and their criteria, assignments, scorecards, the results release. */

const slug = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'Use lower-case letters, digits and hyphens.').max(80);
const instantText = z.string({ error: 'Give a date and time (ISO 8601).' }).trim().min(1, 'Give a date and time (ISO 8601).').max(40);
const text = (label: string, max: number) =>
  z
    .string({ error: `Give the ${label}.` })
    .trim()
    .min(1, `Give the ${label}.`)
    .max(max, `The ${label} has at most ${max} characters.`);

export const MAX_CRITERIA = 12;

const criterionInput = z
  .object({
    name: text('criterion name', 120),
    description: z.string().trim().max(2000, 'A description has at most 2000 characters.').optional(),
    weight: z.number({ error: 'weight is a number greater than 0.' }).positive('weight is a number greater than 0.').max(1000),
    min: z.number({ error: 'min is a whole number.' }).int('min is a whole number.').min(-1000).max(1000),
    max: z.number({ error: 'max is a whole number.' }).int('max is a whole number.').min(-1000).max(1000),
  })
  .strict()
  .refine((c) => c.min < c.max, { message: 'min must be less than max.', path: ['max'] });

export const roundInput = z
  .object({
    name: text('round name', 200),
    opensAt: instantText,
    closesAt: instantText,
    categories: z.array(slug, { error: 'categories is a list of category slugs.' }).min(1, 'Leave categories out to cover them all.').max(100).optional(),
    blind: z.boolean({ error: 'blind is true or false.' }).default(false),
    over: z.enum(['entries', 'shortlist'], { error: 'over is "entries" (submitted or under review) or "shortlist".' }).default('entries'),
    criteria: z
      .array(criterionInput, { error: 'criteria is a list of {name, description?, weight, min, max}.' })
      .min(1, 'A round needs at least one criterion.')
      .max(MAX_CRITERIA, `A round has at most ${MAX_CRITERIA} criteria.`)
      .refine((list) => new Set(list.map((c) => c.name.toLowerCase())).size === list.length, 'Criterion names must differ.'),
  })
  .strict();

export type RoundInput = z.output<typeof roundInput>;

export const assignmentInput = z
  .object({
    judges: z.array(staffEmail, { error: 'judges is a list of email addresses.' }).min(1, 'Name at least one judge.').max(200),
    judgesPerEntry: z.number({ error: 'judgesPerEntry is a whole number.' }).int().min(1).max(20).default(3),
  })
  .strict();

export const conflictInput = z.object({
  reason: z
    .string({ error: 'Say why you have a conflict of interest.' })
    .trim()
    .min(3, 'Say why you have a conflict of interest.')
    .max(2000, 'The reason has at most 2000 characters.'),
});

export const COMMENT_MAX = 5000;

export const releaseInput = z
  .object({
    releaseAt: z.union([z.literal('now'), instantText], { error: 'releaseAt is an ISO 8601 instant or "now".' }),
  })
  .strict();

/** Fields an entrant may keep off the winners page. */
export const PUBLICATION_FIELDS = ['nominee', 'website'] as const;
