import { toDate, type Db } from '../db';
import { notFound, validationFailed } from '../errors';
import { findTopicsBySlugs } from '../topics/queries';
import { nextOccurrence } from './occurrences';
import {
  countScheduleRuns,
  countSchedules,
  deleteSchedule,
  findScheduleById,
  insertSchedule,
  listLastRunsOfSchedules,
  listScheduleRunsPage,
  listSchedulesPage,
  listTopicsOfSchedules,
  replaceScheduleTopics,
  updateSchedule,
} from './queries';
import type { ScheduleInput, SchedulePatch, ScheduleRow, ScheduleRunRow } from './schema';

/**
 * Digest schedules: which topics, when (a cron expression on the clock of an IANA zone), and
 * the stored next occurrence the runner works from. Words: an "occurrence" is one instant
 * the expression names; a "run" is what happened at it (sent, skipped, missed, failed).
 */

const iso = (value: unknown) => toDate(value)?.toISOString() ?? null;

export interface LastRun {
  at: string;
  outcome: ScheduleRunRow['outcome'];
  digestId?: string;
  reason?: string;
}

export interface ScheduleView {
  id: number;
  topics: string[];
  topicNames: string[];
  cron: string;
  timeZone: string;
  limit: number | null;
  subject: string | null;
  nextRunAt: string;
  lastRun: LastRun | null;
  createdAt: string;
  updatedAt: string;
}

export const runView = (run: ScheduleRunRow) => ({
  id: run.id,
  occurrenceAt: iso(run.occurrence_at)!,
  outcome: run.outcome,
  digestId: run.digest_id,
  reason: run.reason,
  startedAt: iso(run.started_at),
  finishedAt: iso(run.finished_at),
});

const lastRunOf = (run: ScheduleRunRow): LastRun => ({
  at: iso(run.occurrence_at)!,
  outcome: run.outcome,
  ...(run.digest_id ? { digestId: run.digest_id } : {}),
  ...(run.reason ? { reason: run.reason } : {}),
});

async function viewsOf(db: Db, rows: ScheduleRow[]): Promise<ScheduleView[]> {
  const ids = rows.map((r) => r.id);
  const [topics, lastRuns] = await Promise.all([listTopicsOfSchedules(db, ids), listLastRunsOfSchedules(db, ids)]);
  return rows.map((row) => {
    const own = topics.filter((t) => t.schedule_id === row.id);
    const last = lastRuns.find((r) => r.schedule_id === row.id);
    return {
      id: row.id,
      topics: own.map((t) => t.slug),
      topicNames: own.map((t) => t.name),
      cron: row.cron,
      timeZone: row.time_zone,
      limit: row.article_limit,
      subject: row.subject,
      nextRunAt: iso(row.next_run_at)!,
      lastRun: last ? lastRunOf(last) : null,
      createdAt: iso(row.created_at)!,
      updatedAt: iso(row.updated_at)!,
    };
  });
}

/** The topics' ids in the order given; an unknown slug is a field error on `topics`. */
async function topicIdsOf(db: Db, slugs: string[]): Promise<number[]> {
  const found = await findTopicsBySlugs(db, slugs);
  const unknown = slugs.filter((slug) => !found.some((t) => t.slug === slug));
  if (unknown.length) throw validationFailed({ topics: `There is no topic ${unknown.map((s) => `"${s}"`).join(', ')}.` });
  return slugs.map((slug) => found.find((t) => t.slug === slug)!.id);
}

export async function getSchedule(db: Db, id: number): Promise<ScheduleView> {
  const row = await findScheduleById(db, id);
  if (!row) throw notFound('There is no schedule with this id.');
  return (await viewsOf(db, [row]))[0];
}

export async function createSchedule(db: Db, input: ScheduleInput, now = new Date()): Promise<ScheduleView> {
  const topicIds = await topicIdsOf(db, input.topics);
  const id = await db.transaction(async (trx) => {
    const scheduleId = await insertSchedule(trx, {
      cron: input.cron,
      time_zone: input.timeZone,
      article_limit: input.limit ?? null,
      subject: input.subject ?? null,
      next_run_at: nextOccurrence(input.cron, input.timeZone, now),
      created_at: now,
      updated_at: now,
    });
    await replaceScheduleTopics(trx, scheduleId, topicIds);
    return scheduleId;
  });
  return getSchedule(db, id);
}

/** Changes a schedule; a new cron or zone moves the next occurrence to the first one after now. */
export async function updateScheduleById(db: Db, id: number, patch: SchedulePatch, now = new Date()): Promise<ScheduleView> {
  const row = await findScheduleById(db, id);
  if (!row) throw notFound('There is no schedule with this id.');
  const topicIds = patch.topics ? await topicIdsOf(db, patch.topics) : null;
  const cron = patch.cron ?? row.cron;
  const timeZone = patch.timeZone ?? row.time_zone;
  const retimed = cron !== row.cron || timeZone !== row.time_zone;
  await db.transaction(async (trx) => {
    await updateSchedule(trx, id, {
      cron,
      time_zone: timeZone,
      ...(patch.limit !== undefined ? { article_limit: patch.limit } : {}),
      ...(patch.subject !== undefined ? { subject: patch.subject } : {}),
      ...(retimed ? { next_run_at: nextOccurrence(cron, timeZone, now) } : {}),
      updated_at: now,
    });
    if (topicIds) await replaceScheduleTopics(trx, id, topicIds);
  });
  return getSchedule(db, id);
}

export async function removeSchedule(db: Db, id: number): Promise<void> {
  if (!(await deleteSchedule(db, id))) throw notFound('There is no schedule with this id.');
}

export async function listSchedules(db: Db, query: { page: number; pageSize: number }) {
  const [total, rows] = await Promise.all([countSchedules(db), listSchedulesPage(db, (query.page - 1) * query.pageSize, query.pageSize)]);
  return { items: await viewsOf(db, rows), total, page: query.page, pageSize: query.pageSize };
}

/** A schedule's runs, newest occurrence first. */
export async function listRunsOfSchedule(db: Db, id: number, query: { page: number; pageSize: number }) {
  if (!(await findScheduleById(db, id))) throw notFound('There is no schedule with this id.');
  const [total, rows] = await Promise.all([countScheduleRuns(db, id), listScheduleRunsPage(db, id, (query.page - 1) * query.pageSize, query.pageSize)]);
  return { items: rows.map(runView), total, page: query.page, pageSize: query.pageSize };
}
