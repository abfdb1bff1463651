import { toDate } from '../db';
import { validationFailed } from '../errors';
import type { ProgrammeRow } from './queries';
import type { ProgrammePageFields } from './schema';
import { formatInZone, parseInstant } from './time';

/**
 * The call for entries' own sections: the shortlist and ceremony dates beside opening and
 * closing, eligibility, judging criteria and FAQs. Stored on the programme's row (FAQs as a
 * JSON list); texts are plain and shown as paragraphs, never as markup.
 */

export interface Faq {
  question: string;
  answer: string;
}

type PageColumns = Pick<ProgrammeRow, 'shortlist_at' | 'ceremony_at' | 'eligibility' | 'judging_criteria' | 'faqs'>;

/**
 * The row's columns for the fields given (a field left out stays as it is). Dates are read in
 * the programme's zone and must follow the deadline, the ceremony not before the shortlist.
 */
export function pageColumns(fields: ProgrammePageFields, zone: string, closesAt: Date, current?: ProgrammeRow): Partial<PageColumns> {
  const errors: Record<string, string> = {};
  const instant = (name: 'shortlistAt' | 'ceremonyAt', existing: unknown): Date | null => {
    const text = fields[name];
    if (text === undefined) return toDate(existing) ?? null;
    if (text === null) return null;
    const date = parseInstant(text, zone);
    if (!date) errors[name] = 'Give a date and time such as 2027-05-14T18:00.';
    return date;
  };
  const shortlistAt = instant('shortlistAt', current?.shortlist_at);
  const ceremonyAt = instant('ceremonyAt', current?.ceremony_at);
  if (shortlistAt && shortlistAt <= closesAt) errors.shortlistAt ??= 'The shortlist is announced after entries close.';
  if (ceremonyAt && ceremonyAt <= closesAt) errors.ceremonyAt ??= 'The ceremony comes after entries close.';
  if (ceremonyAt && shortlistAt && ceremonyAt < shortlistAt) errors.ceremonyAt ??= 'The ceremony comes after the shortlist is announced.';
  if (Object.keys(errors).length) throw validationFailed(errors);

  const columns: Partial<PageColumns> = {};
  if (fields.shortlistAt !== undefined || current === undefined) columns.shortlist_at = shortlistAt;
  if (fields.ceremonyAt !== undefined || current === undefined) columns.ceremony_at = ceremonyAt;
  if (fields.eligibility !== undefined) columns.eligibility = fields.eligibility;
  if (fields.judgingCriteria !== undefined) columns.judging_criteria = fields.judgingCriteria;
  if (fields.faqs !== undefined) columns.faqs = fields.faqs.length ? JSON.stringify(fields.faqs) : null;
  return columns;
}

export function faqsOf(row: Pick<ProgrammeRow, 'faqs'>): Faq[] {
  if (!row.faqs) return [];
  const list = JSON.parse(row.faqs) as Faq[];
  return Array.isArray(list) ? list : [];
}

/** The fields as GET /api/awards and the admin API answer them. */
export function pageView(row: ProgrammeRow) {
  return {
    shortlistAt: toDate(row.shortlist_at)?.toISOString() ?? null,
    ceremonyAt: toDate(row.ceremony_at)?.toISOString() ?? null,
    eligibility: row.eligibility ?? null,
    judgingCriteria: row.judging_criteria ?? null,
    faqs: faqsOf(row),
  };
}

export interface KeyDate {
  label: string;
  at: Date;
  text: string;
}

/** Opening, deadline, shortlist and ceremony, in order, each written out in the programme's zone. */
export function keyDates(row: ProgrammeRow, opensAt: Date, closesAt: Date): KeyDate[] {
  const zone = row.time_zone;
  const dates: Array<[string, Date | null]> = [
    ['Entries open', opensAt],
    ['Entry deadline', closesAt],
    ['Shortlist announced', toDate(row.shortlist_at) ?? null],
    ['Awards ceremony', toDate(row.ceremony_at) ?? null],
  ];
  return dates.filter((d): d is [string, Date] => d[1] !== null).map(([label, at]) => ({ label, at, text: formatInZone(at, zone) }));
}

/** What the call for entries shows of these fields. */
export function pageContent(p: { row: ProgrammeRow; opensAt: Date; closesAt: Date }) {
  return {
    keyDates: keyDates(p.row, p.opensAt, p.closesAt),
    eligibility: p.row.eligibility ?? null,
    judgingCriteria: p.row.judging_criteria ?? null,
    faqs: faqsOf(p.row),
  };
}
