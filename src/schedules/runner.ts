import type { Config } from '../config';
import { isUniqueViolation, toDate, type Db } from '../db';
import type { SendDeps } from '../delivery/service';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import { createPeriodicTask } from '../periodic';
import { latestOccurrence, nextOccurrence } from './occurrences';
import {
  advanceScheduleNextRun,
  finishScheduleRun,
  findScheduleRun,
  insertScheduleRun,
  listDueSchedules,
  listTopicsOfSchedules,
  retakeStaleScheduleRun,
} from './queries';
import type { RunOutcome, ScheduleRow } from './schema';
import { startScheduledDigest } from './start-digest';

export interface RunnerDeps extends SendDeps {
  config: SendDeps['config'] & Pick<Config, 'scheduleCatchupMinutes'>;
  logger: Logger;
}

/** A run still `running` this long after it started belongs to a process that stopped; another may take it over. */
export const STALE_RUN_MS = 10 * 60_000;
const BATCH = 100;

export interface RunResult {
  scheduleId: number;
  occurrenceAt: string;
  outcome: RunOutcome;
  digestId?: string;
}

/**
 * Runs every schedule whose stored next occurrence has come, as of `now` (a parameter so
 * tests can walk the clock across a DST change). Per schedule: claim the latest due
 * occurrence with a unique schedule_runs row (one process wins), run it or record it as
 * missed when it is more than SCHEDULE_CATCHUP_MINUTES late, then move next_run_at to the
 * first occurrence after now, conditionally on the value read. Older occurrences passed
 * while nothing ran get one `missed` line, at the oldest, rather than one line each.
 */
export async function runDueSchedules(deps: RunnerDeps, now = new Date()): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (const schedule of await listDueSchedules(deps.db, now, BATCH)) {
    // One schedule's fault (a database error mid-way) must not hold up the others; its
    // occurrence stays due, or its run stays `running` until taken over, and is tried again.
    try {
      const result = await runSchedule(deps, schedule, now);
      if (result) results.push(result);
    } catch (err) {
      deps.logger.error({ err: (err as Error).message, schedule: schedule.id }, 'schedule pass failed');
    }
  }
  return results;
}

async function runSchedule(deps: RunnerDeps, schedule: ScheduleRow, now: Date): Promise<RunResult | null> {
  const stored = toDate(schedule.next_run_at)!;
  const latest = latestOccurrence(schedule.cron, schedule.time_zone, now);
  const occurrence = latest && latest > stored ? latest : stored;
  if (occurrence > stored) await recordSuperseded(deps.db, schedule.id, stored, occurrence, now);

  const runId = await claimOccurrence(deps.db, schedule.id, occurrence, now);
  let result: RunResult | null = null;
  if (runId !== null) {
    const outcome = await runOccurrence(deps, schedule, occurrence, now);
    await finishScheduleRun(deps.db, runId, outcome, now);
    result = { scheduleId: schedule.id, occurrenceAt: occurrence.toISOString(), outcome: outcome.outcome, ...(outcome.digestId ? { digestId: outcome.digestId } : {}) };
  } else if ((await findScheduleRun(deps.db, schedule.id, occurrence))?.outcome === 'running') {
    // Another process is on it (or stopped mid-way and will be taken over later): leave next_run_at to it.
    return null;
  }
  await advanceScheduleNextRun(deps.db, schedule.id, schedule.next_run_at, nextOccurrence(schedule.cron, schedule.time_zone, now));
  return result;
}

/** The occurrence's run row id when this process owns it: a new claim, or a stale one taken over. Null when another owns it. */
async function claimOccurrence(db: Db, scheduleId: number, occurrence: Date, now: Date): Promise<number | null> {
  try {
    return await insertScheduleRun(db, { schedule_id: scheduleId, occurrence_at: occurrence, outcome: 'running', reason: null, started_at: now });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
  const existing = await findScheduleRun(db, scheduleId, occurrence);
  if (!existing || existing.outcome !== 'running') return null;
  if (now.getTime() - toDate(existing.started_at)!.getTime() < STALE_RUN_MS) return null;
  return (await retakeStaleScheduleRun(db, existing.id, existing.started_at, now)) ? existing.id : null;
}

/** One line for the occurrences that passed while nothing ran, before the one now considered. */
async function recordSuperseded(db: Db, scheduleId: number, oldest: Date, latest: Date, now: Date) {
  try {
    await insertScheduleRun(db, {
      schedule_id: scheduleId,
      occurrence_at: oldest,
      outcome: 'missed',
      reason: `No process ran at this time; occurrences from here until ${latest.toISOString()} were not sent, and the latest was considered instead.`,
      started_at: now,
      finished_at: now,
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err; // another process wrote the same line
  }
}

type Outcome = { outcome: RunOutcome; digestId?: string; reason?: string };

async function runOccurrence(deps: RunnerDeps, schedule: ScheduleRow, occurrence: Date, now: Date): Promise<Outcome> {
  const lateMinutes = Math.floor((now.getTime() - occurrence.getTime()) / 60_000);
  if (lateMinutes > deps.config.scheduleCatchupMinutes) {
    return { outcome: 'missed', reason: `${lateMinutes} minutes late when a process started (SCHEDULE_CATCHUP_MINUTES is ${deps.config.scheduleCatchupMinutes}).` };
  }
  const topics = (await listTopicsOfSchedules(deps.db, [schedule.id])).map((t) => t.slug);
  try {
    const digest = await startScheduledDigest(deps, { topics, limit: schedule.article_limit, subject: schedule.subject }, `schedule:${schedule.id}:${occurrence.toISOString()}`, now);
    return { outcome: 'sent', digestId: digest.id };
  } catch (err) {
    // 409: nothing new since the last digest, or nobody receives the topic.
    if (err instanceof AppError && err.status === 409) return { outcome: 'skipped', reason: err.message };
    if (err instanceof AppError) return { outcome: 'failed', reason: err.message };
    deps.logger.error({ err: (err as Error).message, schedule: schedule.id }, 'scheduled digest failed');
    return { outcome: 'failed', reason: 'The digest could not be started because of an internal error; the server log has the details.' };
  }
}

/** Runs due schedules at start and then every `intervalMs` (15 s by default) in every process. */
export function createScheduleRunner(deps: RunnerDeps & { intervalMs?: number }) {
  return createPeriodicTask({
    intervalMs: deps.intervalMs ?? 15_000,
    onError: (err) => deps.logger.error({ err: (err as Error).message }, 'schedule run failed'),
    async run() {
      const results = await runDueSchedules(deps);
      for (const r of results) deps.logger.info(r, 'schedule occurrence handled');
    },
  });
}
