import type { Db } from '../db';
import { markBounced } from '../subscribers/bounce-state';
import type { DeliveryOutcome } from './outcome';
import { failDeliveries, markDeliveriesSent, rescheduleDeliveries, type ClaimedDelivery } from './queries';

/** One message's outcome, as the lanes hand it to the recorder. */
export interface SendOutcome {
  row: ClaimedDelivery;
  outcome: DeliveryOutcome;
}

/**
 * Writes a group of outcomes in one transaction, a few set-based statements: sent rows,
 * rescheduled rows, failed rows, and the subscribers whose address bounced.
 */
export async function recordOutcomes(db: Db, results: SendOutcome[], now: Date) {
  const sent: { id: number; response: string }[] = [];
  const retried: { id: number; error: string; nextAttemptAt: Date }[] = [];
  const failed: { id: number; error: string }[] = [];
  const bounced: number[] = [];
  for (const { row, outcome } of results) {
    if (outcome.kind === 'accepted') sent.push({ id: row.id, response: outcome.response });
    else if (outcome.kind === 'retry') retried.push({ id: row.id, error: outcome.reason, nextAttemptAt: outcome.at });
    else {
      failed.push({ id: row.id, error: outcome.reason });
      if (outcome.kind === 'bounced' && row.subscriber_id) bounced.push(row.subscriber_id);
    }
  }
  await db.transaction(async (trx) => {
    await markDeliveriesSent(trx, sent, now);
    await rescheduleDeliveries(trx, retried);
    await failDeliveries(trx, failed);
    await markBounced(trx, bounced, now);
  });
}
