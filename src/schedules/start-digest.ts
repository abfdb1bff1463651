import { triggerDigest, type SendDeps, type TriggerAnswer } from '../delivery/service';

/**
 * Starts the digest of one occurrence of a schedule, through the same trigger as
 * POST /api/admin/digests, with the occurrence as its idempotency key: a process that
 * retakes an occurrence after a crash gets the digest the first attempt made, never a second.
 */
export function startScheduledDigest(
  deps: SendDeps,
  schedule: { topics: string[]; limit: number | null; subject: string | null },
  key: string,
  now: Date,
): Promise<TriggerAnswer> {
  // Every topic in one digest: a reader of several of them gets one email with a section each.
  const input = { topics: schedule.topics, ...(schedule.limit ? { limit: schedule.limit } : {}), ...(schedule.subject ? { subject: schedule.subject } : {}) };
  return triggerDigest(deps, input, key, now);
}
