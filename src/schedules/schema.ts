import { z } from 'zod';
import { isTimeZone } from '../awards/time';
import { pageQuery } from '../http/listing';
import { cronProblem } from './occurrences';

/** What a schedule's run came to: one of these per occurrence, in schedule_runs. */
export const RUN_OUTCOMES = ['running', 'sent', 'skipped', 'missed', 'failed'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

const TOPIC_SLUG = /^[a-z0-9-]{1,40}$/;
const ZONE_MESSAGE = 'Give an IANA time zone such as Europe/London.';

const topics = z
  .array(z.string().regex(TOPIC_SLUG, 'topics are topic slugs such as "finance"'), { error: 'topics is a list of topic slugs such as ["finance"]' })
  .min(1, 'Choose at least one topic.')
  .max(20, 'A schedule covers at most 20 topics.')
  .refine((list) => new Set(list).size === list.length, 'Name each topic once.');

const cron = z
  .string({ error: 'cron is an expression such as "0 7 * * 1-5"' })
  .transform((value) => value.trim().replace(/\s+/g, ' '))
  .superRefine((value, ctx) => {
    const problem = cronProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const timeZone = z.string({ error: ZONE_MESSAGE }).refine(isTimeZone, ZONE_MESSAGE);

const limit = z.number({ error: 'limit is a whole number from 1 to 50' }).int('limit is a whole number from 1 to 50').min(1, 'limit is a whole number from 1 to 50').max(50, 'limit is a whole number from 1 to 50');

const subject = z
  .string({ error: 'subject is text on one line' })
  .trim()
  .min(1, 'subject cannot be empty')
  .max(300, 'subject has at most 300 characters')
  .refine((v) => !/[\r\n]/.test(v), 'subject must be on one line');

/** POST /api/admin/schedules. limit and subject left out (or null) use the digest's defaults. */
export const scheduleInput = z
  .object({ topics, cron, timeZone, limit: limit.nullable().optional(), subject: subject.nullable().optional() })
  .strict();

/** PATCH /api/admin/schedules/:id: any of the same fields. */
export const schedulePatch = scheduleInput.partial().refine((patch) => Object.keys(patch).length > 0, 'Send at least one field to change.');

export type ScheduleInput = z.output<typeof scheduleInput>;
export type SchedulePatch = z.output<typeof schedulePatch>;

export const scheduleIdParam = z.object({ id: z.coerce.number({ error: 'id is a number' }).int().min(1) });

export const scheduleListQuery = pageQuery;

export interface ScheduleRow {
  id: number;
  cron: string;
  time_zone: string;
  article_limit: number | null;
  subject: string | null;
  next_run_at: unknown;
  created_at: unknown;
  updated_at: unknown;
}

export interface ScheduleRunRow {
  id: number;
  schedule_id: number;
  occurrence_at: unknown;
  outcome: RunOutcome;
  digest_id: string | null;
  reason: string | null;
  started_at: unknown;
  finished_at: unknown;
}
