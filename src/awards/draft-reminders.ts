import type { Db } from '../db';
import { toDate } from '../db';
import type { Logger } from '../logger';
import { createPeriodicTask } from '../periodic';
import { insertDraftReminderJobs, listDraftsClosingBefore } from './queries';

/**
 * Reminders to finish a draft, 7 days and 1 day before its programme's deadline, each at
 * most once. Each is a mail job with a unique key per draft and kind, inserted with ON
 * CONFLICT DO NOTHING: however many processes run the pass at the same moment, the key
 * lets one row in, and the mail runner sends each row once. A draft begun inside a window
 * gets no reminder for it; one that reached the 1-day window without its 7-day reminder
 * (the service was down) gets only the 1-day one.
 */
export const DRAFT_REMINDER_7D_MAIL = 'entry_draft_reminder_7d';
export const DRAFT_REMINDER_1D_MAIL = 'entry_draft_reminder_1d';
const DAY_MS = 24 * 60 * 60_000;
const WINDOWS = [
  { kind: DRAFT_REMINDER_7D_MAIL, key: '7d', before: 7 * DAY_MS },
  { kind: DRAFT_REMINDER_1D_MAIL, key: '1d', before: DAY_MS },
];
export const DRAFT_REMINDER_INTERVAL_MS = 15 * 60_000;

/** Queues the reminders due at `now`; returns how many drafts had one due (already-queued ones count too). */
export async function queueDraftReminders(db: Db, now = new Date()): Promise<number> {
  const drafts = await listDraftsClosingBefore(db, now, new Date(now.getTime() + 7 * DAY_MS));
  const jobs: Parameters<typeof insertDraftReminderJobs>[1] = [];
  for (const draft of drafts) {
    const closes = toDate(draft.closes_at)!.getTime();
    const created = toDate(draft.created_at)!.getTime();
    const reached = WINDOWS.filter((w) => now.getTime() >= closes - w.before);
    const latest = reached[reached.length - 1];
    for (const w of reached) {
      const due = w === latest && created < closes - w.before;
      jobs.push({ kind: w.kind, unique_key: `draft-reminder:${draft.id}:${w.key}`, draft_id: draft.id, status: due ? 'queued' : 'dropped' });
    }
  }
  for (let i = 0; i < jobs.length; i += 200) await insertDraftReminderJobs(db, jobs.slice(i, i + 200), now);
  return drafts.length;
}

export function createDraftReminders(deps: { db: Db; logger: Logger; queued: () => void; intervalMs?: number }) {
  return createPeriodicTask({
    intervalMs: deps.intervalMs ?? DRAFT_REMINDER_INTERVAL_MS,
    run: async () => {
      if (await queueDraftReminders(deps.db)) deps.queued();
    },
    onError: (err) => deps.logger.error({ err: (err as Error).message }, 'draft reminders failed'),
  });
}
