import type { Db } from '../db';
import type { Logger } from '../logger';
import { updateDigestSendState } from './queries';
import type { SendOutcome } from './record';

/**
 * Many permanent failures in a row mean the sender, not the addresses, is at fault (a
 * blocked IP, a wrong relay): the digest is paused at once, with the last reply as the
 * reason, rather than every subscriber bounced. The streak spans batches.
 */
export function createFailureStreakGuard(db: Db, logger: Logger, pauseAfter: number) {
  const streaks = new Map<string, number>();
  return {
    /** Counts the outcome; pauses its digest (and adds it to `halted`) when the streak is long enough. */
    async observe({ row, outcome }: SendOutcome, halted: Set<string>) {
      const digestId = row.digest_id;
      if (outcome.kind !== 'bounced') {
        if (outcome.kind === 'accepted') streaks.set(digestId, 0);
        return;
      }
      const streak = (streaks.get(digestId) ?? 0) + 1;
      streaks.set(digestId, streak);
      if (streak < pauseAfter || halted.has(digestId)) return;
      halted.add(digestId);
      streaks.set(digestId, 0);
      await updateDigestSendState(db, digestId, ['sending'], {
        status: 'paused',
        status_reason: `Paused after ${streak} permanent failures in a row; last reply: ${outcome.reason}`,
      });
      logger.error({ digest: digestId, streak }, 'digest paused after consecutive failures');
    },
  };
}
