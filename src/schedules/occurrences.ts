import { Cron } from 'croner';

/**
 * When a schedule's occurrences fall, computed by croner in the schedule's own IANA zone,
 * so "07:00" stays 07:00 on the local clock across daylight-saving changes. Croner treats a
 * fixed time in a spring-forward gap as the first valid time after it, and a fixed time
 * that happens twice in autumn as one occurrence (the first).
 */

const FIVE_FIELDS = /^\S+(\s+\S+){4}$/;

export const CRON_HELP = 'Use five fields: minute hour day-of-month month day-of-week, such as "0 7 * * 1-5" (07:00 on weekdays).';

function cronOf(cron: string, timeZone: string): Cron {
  return new Cron(cron, { timezone: timeZone, mode: '5-part', paused: true });
}

/** A plain sentence saying what is wrong with `cron`, or null when croner reads it and it ever occurs. */
export function cronProblem(cron: string): string | null {
  if (!FIVE_FIELDS.test(cron)) return `cron must have exactly five fields. ${CRON_HELP}`;
  let parsed: Cron;
  try {
    parsed = cronOf(cron, 'UTC');
  } catch {
    return `cron is not a schedule we can read. ${CRON_HELP}`;
  }
  if (!parsed.nextRun()) return 'cron never matches a date (such as 30 February). Choose days that exist.';
  return null;
}

/** The first occurrence strictly after `after`. */
export function nextOccurrence(cron: string, timeZone: string, after: Date): Date {
  const next = cronOf(cron, timeZone).nextRun(after);
  if (!next) throw new Error('a validated schedule has no next occurrence');
  return next;
}

/** The latest occurrence at or before `atOrBefore`, or null when there is none in croner's reach. */
export function latestOccurrence(cron: string, timeZone: string, atOrBefore: Date): Date | null {
  const [latest] = cronOf(cron, timeZone).previousRuns(1, new Date(atOrBefore.getTime() + 1));
  return latest ?? null;
}
