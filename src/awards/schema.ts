import { z } from 'zod';
import { senderNameInput } from '../topics/schema';
import { fieldErrors } from '../http/validate';
import { emailAddress, personName } from '../subscribers/schema';
import { isCountryCode } from './countries';
import { isTimeZone } from './time';

/** Input shapes for programmes (admin) and entries (public), checked at the edge. */

const noControlChars = (value: string) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value);
const singleLine = (value: string) => !/[\r\n\u0000-\u001f\u007f]/.test(value);

/** A one-line text field: trimmed, spaces folded, no control characters, bounded. */
const line = (label: string, max: number) =>
  z
    .string({ error: `Enter the ${label}.` })
    .refine(singleLine, `The ${label} must be on one line.`)
    .transform((v) => v.trim().replace(/\s+/g, ' '))
    .pipe(z.string().min(1, `Enter the ${label}.`).max(max, `The ${label} has at most ${max} characters.`));

const optionalLine = (label: string, max: number) =>
  z
    .string({ error: `The ${label} is text.` })
    .refine(singleLine, `The ${label} must be on one line.`)
    .transform((v) => v.trim().replace(/\s+/g, ' '))
    .pipe(z.string().max(max, `The ${label} has at most ${max} characters.`))
    .transform((v) => v || null)
    .optional()
    .transform((v) => v ?? null);

const slug = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'Use lower-case letters, digits and hyphens.').max(80);

export const WORD_LIMITS = { min: 50, max: 800 };

export const countWords = (text: string) => (text.trim() ? text.trim().split(/\s+/).length : 0);

const website = z
  .string({ error: 'Enter the organisation’s website.' })
  .trim()
  .min(1, 'Enter the organisation’s website.')
  .max(500, 'The website address has at most 500 characters.')
  .refine((v) => {
    try {
      const url = new URL(v);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.includes('.');
    } catch {
      return false;
    }
  }, 'Enter a web address starting with https:// or http://.');

const phone = z
  .string({ error: 'The phone number is text.' })
  .trim()
  .max(40, 'The phone number has at most 40 characters.')
  .regex(/^(\+?[0-9 ()./-]{6,40})?$/, 'Enter a phone number with digits, spaces and an optional leading +.')
  .transform((v) => v || null)
  .optional()
  .transform((v) => v ?? null);

/** The entry form's fields, with the same names in the form and in JSON. */
export const entryInput = z.object({
  category: z.string({ error: 'Choose a category.' }).trim().min(1, 'Choose a category.').max(80, 'Choose a category.'),
  organisation: line('organisation’s name', 200),
  nominee: optionalLine('nominee', 200),
  country: z
    .string({ error: 'Choose a country.' })
    .trim()
    .toUpperCase()
    .refine(isCountryCode, 'Choose a country from the list.'),
  website,
  contactName: personName.pipe(z.string({ error: 'Enter the contact’s name.' }).min(1, 'Enter the contact’s name.')),
  jobTitle: line('job title', 120),
  contactEmail: emailAddress,
  contactPhone: phone,
  statement: z
    .string({ error: 'Write the supporting statement.' })
    .refine(noControlChars, 'The statement contains characters that are not allowed.')
    .transform((v) => v.replace(/\r\n?/g, '\n').trim())
    .pipe(z.string().min(1, 'Write the supporting statement.').max(20_000, 'The statement is too long.')),
  consent: z.union([z.literal(true), z.literal('on'), z.literal('true'), z.literal('yes')], {
    error: 'Tick the box to accept the terms and the privacy notice.',
  }),
  // Fields kept off the public winners page; a form sends one checkbox value or several.
  notForPublication: z.preprocess(
    (v) => (v === undefined || v === '' ? [] : typeof v === 'string' ? [v] : v),
    z.array(z.enum(['nominee', 'website'], { error: 'Only the nominee and the website can be kept from publication.' })).max(2),
  ),
});

export type EntryInput = z.output<typeof entryInput>;

/** A parsed entry, or every field's message, with the category and statement that did parse for the checks that need the database. */
export type ParsedEntry =
  | { ok: true; data: EntryInput }
  | { ok: false; fields: Record<string, string>; partial: Partial<Pick<EntryInput, 'category' | 'statement'>> };

export function parseEntryInput(body: unknown): ParsedEntry {
  const result = entryInput.safeParse(body ?? {});
  if (result.success) return { ok: true, data: result.data };
  // A bad field elsewhere must not hide the category's or the statement's own checks.
  const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const partial: Partial<Pick<EntryInput, 'category' | 'statement'>> = {};
  const category = entryInput.shape.category.safeParse(raw.category);
  if (category.success) partial.category = category.data;
  const statement = entryInput.shape.statement.safeParse(raw.statement);
  if (statement.success) partial.statement = statement.data;
  return { ok: false, fields: fieldErrors(result.error), partial };
}

const instantText = z.string({ error: 'Give a date and time (ISO 8601).' }).trim().min(1).max(40);

const categoryInput = z.object({
  slug,
  name: line('category name', 200),
  description: z.string({ error: 'Give the category a description.' }).trim().min(1, 'Give the category a description.').max(2000),
  region: optionalLine('region', 80),
});

const categoriesInput = z
  .array(categoryInput, { error: 'categories is a list of {slug, name, description}.' })
  .min(1, 'A programme needs at least one category.')
  .max(100, 'At most 100 categories.')
  .refine((list) => new Set(list.map((c) => c.slug)).size === list.length, 'Category slugs must differ.');

const timeZone = z.string({ error: 'Give an IANA time zone such as Europe/London.' }).refine(isTimeZone, 'Give an IANA time zone such as Europe/London.');

const wordLimit = z.number({ error: 'A whole number of words.' }).int().min(0).max(20_000);

/** An optional key date: an instant, or null / "" to clear it (read in the programme's zone like the others). */
const optionalInstant = z
  .union([z.string({ error: 'Give a date and time (ISO 8601), or null.' }).trim().max(40, 'Give a date and time (ISO 8601).'), z.null()], {
    error: 'Give a date and time (ISO 8601), or null.',
  })
  .transform((v) => v || null);

/** A page text shown as paragraphs (a blank line between them, single newlines kept): plain text, no markup. */
const pageText = (label: string, max: number) =>
  z
    .union([z.string({ error: `The ${label} is text.` }), z.null()], { error: `The ${label} is text.` })
    .transform((v) => (v ?? '').replace(/\r\n?/g, '\n').trim())
    .refine(noControlChars, `The ${label} contains characters that are not allowed.`)
    .pipe(z.string().max(max, `The ${label} has at most ${max} characters.`))
    .transform((v) => v || null);

export const PAGE_LIMITS = { text: 6000, question: 300, answer: 3000, faqs: 30 };

const faq = z.object(
  {
    question: line('question', PAGE_LIMITS.question),
    answer: z
      .string({ error: 'Write the answer.' })
      .refine(noControlChars, 'The answer contains characters that are not allowed.')
      .transform((v) => v.replace(/\r\n?/g, '\n').trim())
      .pipe(z.string().min(1, 'Write the answer.').max(PAGE_LIMITS.answer, `The answer has at most ${PAGE_LIMITS.answer} characters.`)),
  },
  { error: 'Each FAQ is {question, answer}.' },
);

/** The call for entries' own sections: key dates beyond opening and closing, eligibility, judging criteria, FAQs. */
export const programmePageFields = {
  shortlistAt: optionalInstant.optional(),
  ceremonyAt: optionalInstant.optional(),
  eligibility: pageText('eligibility', PAGE_LIMITS.text).optional(),
  judgingCriteria: pageText('judging criteria', PAGE_LIMITS.text).optional(),
  faqs: z
    .array(faq, { error: 'faqs is a list of {question, answer}.' })
    .max(PAGE_LIMITS.faqs, `At most ${PAGE_LIMITS.faqs} FAQs.`)
    .nullable()
    .transform((v) => v ?? [])
    .optional(),
};

export type ProgrammePageFields = { [K in keyof typeof programmePageFields]?: z.output<(typeof programmePageFields)[K]> };

export const programmeInput = z.object({
  slug,
  code: z.string({ error: 'Give a short code such as GBFA26.' }).trim().regex(/^[A-Z0-9]{2,12}$/, 'A code is 2 to 12 capital letters and digits, such as GBFA26.'),
  name: line('programme name', 200),
  description: z.string({ error: 'Give a description.' }).trim().min(1, 'Give a description.').max(20_000),
  opensAt: instantText,
  closesAt: instantText,
  timeZone,
  senderName: senderNameInput.optional(),
  statementMinWords: wordLimit.default(WORD_LIMITS.min),
  statementMaxWords: wordLimit.default(WORD_LIMITS.max),
  categories: categoriesInput,
  ...programmePageFields,
});

export type ProgrammeInput = z.output<typeof programmeInput>;

export const programmePatch = z
  .object({
    name: line('programme name', 200),
    description: programmeInput.shape.description,
    opensAt: instantText,
    closesAt: instantText,
    timeZone,
    senderName: senderNameInput,
    statementMinWords: wordLimit,
    statementMaxWords: wordLimit,
    categories: categoriesInput,
    ...programmePageFields,
  })
  .partial()
  .strict();

export type ProgrammePatch = z.output<typeof programmePatch>;

export const ENTRY_STATUSES = ['submitted', 'under_review', 'shortlisted', 'winner', 'not_shortlisted', 'withdrawn'] as const;
export type EntryStatus = (typeof ENTRY_STATUSES)[number];

/** Where an entry may go next; winner, not_shortlisted and withdrawn are final. */
export const NEXT_STATUSES: Record<EntryStatus, EntryStatus[]> = {
  // A judged round may decide straight from submitted (the panel's review is the judging).
  submitted: ['under_review', 'shortlisted', 'not_shortlisted', 'withdrawn'],
  under_review: ['shortlisted', 'not_shortlisted', 'withdrawn'],
  shortlisted: ['winner', 'not_shortlisted', 'withdrawn'],
  winner: [],
  not_shortlisted: [],
  withdrawn: [],
};

export const statusChange = z.object({
  status: z.enum(ENTRY_STATUSES, { error: `status is one of ${ENTRY_STATUSES.join(', ')}` }),
  note: z.string().trim().max(2000, 'A note has at most 2000 characters.').optional(),
});

export const entryListQuery = z.object({
  programme: slug.optional(),
  category: slug.optional(),
  status: z.enum(ENTRY_STATUSES, { error: `status is one of ${ENTRY_STATUSES.join(', ')}` }).optional(),
  q: z.string().trim().max(200).optional(),
  format: z.enum(['json', 'csv']).optional(),
});

/** The fields a draft keeps, as typed; what each may be is checked at submission. */
export const DRAFT_TEXT_FIELDS = ['category', 'organisation', 'nominee', 'country', 'website', 'contactName', 'jobTitle', 'contactEmail', 'contactPhone', 'statement', 'consent'] as const;

const draftText = (max: number) =>
  z
    .string({ error: 'This field is text.' })
    .max(max, `At most ${max} characters.`)
    .refine(noControlChars, 'This field contains characters that are not allowed.')
    .optional()
    .transform((v) => v ?? '');

/**
 * A draft needs only the contact's email (where its link goes); every other field is kept
 * as typed, bounded in length, and checked when the entry is submitted, so an entrant can
 * save half a web address or a statement that is still too short.
 */
export const draftInput = z.object({
  contactEmail: emailAddress,
  category: draftText(80),
  organisation: draftText(200),
  nominee: draftText(200),
  country: draftText(2),
  website: draftText(500),
  contactName: draftText(120),
  jobTitle: draftText(120),
  contactPhone: draftText(40),
  statement: draftText(20_000),
  consent: draftText(10),
  notForPublication: entryInput.shape.notForPublication,
});

export type DraftInput = z.output<typeof draftInput>;

/** Statuses as an entrant reads them (after entrantStatus has applied the results embargo). */
export const ENTRANT_STATUS_LABELS: Record<string, string> = {
  draft: 'Draft',
  submitted: 'Submitted',
  under_review: 'Under review',
  shortlisted: 'Shortlisted',
  winner: 'Winner',
  not_shortlisted: 'Not shortlisted',
  withdrawn: 'Withdrawn',
};
