import type { Knex } from 'knex';
import type { Db } from '../db';
import type { RunOutcome, ScheduleRow, ScheduleRunRow } from './schema';

type Conn = Db | Knex.Transaction;

const SCHEDULE_COLUMNS = ['id', 'cron', 'time_zone', 'article_limit', 'subject', 'next_run_at', 'created_at', 'updated_at'];

export async function insertSchedule(conn: Conn, row: Omit<ScheduleRow, 'id'>): Promise<number> {
  const [inserted] = await conn('schedules').insert(row).returning('id');
  return typeof inserted === 'object' ? (inserted as { id: number }).id : (inserted as number);
}

export async function replaceScheduleTopics(conn: Conn, scheduleId: number, topicIds: number[]) {
  await conn('schedule_topics').where({ schedule_id: scheduleId }).delete();
  await conn('schedule_topics').insert(topicIds.map((topicId, position) => ({ schedule_id: scheduleId, topic_id: topicId, position })));
}

export function updateSchedule(conn: Conn, id: number, changes: Partial<Omit<ScheduleRow, 'id' | 'created_at'>>) {
  return conn('schedules').where({ id }).update(changes);
}

export function deleteSchedule(conn: Conn, id: number): Promise<number> {
  return conn('schedules').where({ id }).delete();
}

export function findScheduleById(conn: Conn, id: number): Promise<ScheduleRow | undefined> {
  return conn('schedules').select(SCHEDULE_COLUMNS).where({ id }).first();
}

export async function countSchedules(conn: Conn): Promise<number> {
  const [row] = await conn('schedules').count({ n: '*' });
  return Number(row.n);
}

export function listSchedulesPage(conn: Conn, offset: number, limit: number): Promise<ScheduleRow[]> {
  return conn('schedules').select(SCHEDULE_COLUMNS).orderBy('id').offset(offset).limit(limit);
}

/** Schedules whose stored next occurrence has come, soonest first. */
export function listDueSchedules(conn: Conn, now: Date, limit: number): Promise<ScheduleRow[]> {
  return conn('schedules').select(SCHEDULE_COLUMNS).where('next_run_at', '<=', now).orderBy('next_run_at').orderBy('id').limit(limit);
}

export function listTopicsOfSchedules(conn: Conn, scheduleIds: number[]): Promise<{ schedule_id: number; slug: string; name: string }[]> {
  if (!scheduleIds.length) return Promise.resolve([]);
  return conn('schedule_topics')
    .join('topics', 'topics.id', 'schedule_topics.topic_id')
    .whereIn('schedule_topics.schedule_id', scheduleIds)
    .orderBy('schedule_topics.schedule_id')
    .orderBy('schedule_topics.position')
    .select('schedule_topics.schedule_id', 'topics.slug', 'topics.name');
}

/** Each schedule's latest run (by occurrence). */
export function listLastRunsOfSchedules(conn: Conn, scheduleIds: number[]): Promise<ScheduleRunRow[]> {
  if (!scheduleIds.length) return Promise.resolve([]);
  return conn('schedule_runs as r')
    .whereIn('r.schedule_id', scheduleIds)
    .where('r.occurrence_at', '=', conn('schedule_runs as latest').max('latest.occurrence_at').where('latest.schedule_id', conn.ref('r.schedule_id')))
    .select('r.*');
}

/** Claims an occurrence: the unique (schedule_id, occurrence_at) lets exactly one insert win; the loser's insert throws a unique violation. */
export async function insertScheduleRun(conn: Conn, row: Omit<ScheduleRunRow, 'id' | 'digest_id' | 'finished_at'> & { finished_at?: Date | null }): Promise<number> {
  const [inserted] = await conn('schedule_runs').insert(row).returning('id');
  return typeof inserted === 'object' ? (inserted as { id: number }).id : (inserted as number);
}

export function findScheduleRun(conn: Conn, scheduleId: number, occurrenceAt: Date): Promise<ScheduleRunRow | undefined> {
  return conn('schedule_runs').where({ schedule_id: scheduleId, occurrence_at: occurrenceAt }).first();
}

/** Takes over a run whose process stopped mid-way (still `running`, started before `staleBefore`); 1 when taken. */
export function retakeStaleScheduleRun(conn: Conn, runId: number, startedAt: unknown, now: Date): Promise<number> {
  return conn('schedule_runs').where({ id: runId, outcome: 'running', started_at: startedAt as Date }).update({ started_at: now });
}

export function finishScheduleRun(conn: Conn, runId: number, result: { outcome: RunOutcome; digestId?: string | null; reason?: string | null }, now: Date) {
  return conn('schedule_runs').where({ id: runId }).update({ outcome: result.outcome, digest_id: result.digestId ?? null, reason: result.reason ?? null, finished_at: now });
}

/** Moves the stored next occurrence on, only from the value this process saw (another may have moved it already). */
export function advanceScheduleNextRun(conn: Conn, id: number, from: unknown, to: Date): Promise<number> {
  return conn('schedules').where({ id, next_run_at: from as Date }).update({ next_run_at: to });
}

export async function countScheduleRuns(conn: Conn, scheduleId: number): Promise<number> {
  const [row] = await conn('schedule_runs').where({ schedule_id: scheduleId }).count({ n: '*' });
  return Number(row.n);
}

export function listScheduleRunsPage(conn: Conn, scheduleId: number, offset: number, limit: number): Promise<ScheduleRunRow[]> {
  return conn('schedule_runs').where({ schedule_id: scheduleId }).orderBy('occurrence_at', 'desc').orderBy('id', 'desc').offset(offset).limit(limit);
}
