import type { Knex } from 'knex';
import { isPostgres, type Db } from '../db';
import { findSubscriberByIdForUpdate, insertSuppression, updateSubscriber } from './queries';
import { emailHash, newNonce } from './service';

/**
 * What a bounce or a complaint does to a subscriber (the rules of when are in
 * src/bounces/rules.ts): a refused or gone address becomes `bounced`, a reader who marked a
 * digest as spam `unsubscribed`. Both also put the address's hash on the suppression list,
 * so a later import cannot bring it back. Run inside the caller's transaction.
 */

type Trx = Db | Knex.Transaction;

export type ReportedStatus = 'bounced' | 'unsubscribed';

const OUTCOMES = {
  bounced: { stamp: 'bounced_at', reason: 'bounced' },
  unsubscribed: { stamp: 'unsubscribed_at', reason: 'complaint' },
} as const;

/** Locks the subscriber's row so reports about one person are applied one at a time. */
export const lockSubscriber = (trx: Trx, subscriberId: number) => findSubscriberByIdForUpdate(trx, subscriberId, isPostgres(trx as Db));

/** Suppresses the address and moves the subscriber to `status`; false when they were there already (or are gone). */
export async function markSubscriberReported(trx: Trx, subscriberId: number, status: ReportedStatus, now: Date): Promise<boolean> {
  const subscriber = await lockSubscriber(trx, subscriberId);
  if (!subscriber) return false;
  const outcome = OUTCOMES[status];
  await insertSuppression(trx, emailHash(subscriber.email), outcome.reason);
  if (subscriber.status === status) return false;
  await updateSubscriber(trx, subscriberId, { status, [outcome.stamp]: now, token_nonce: newNonce(), updated_at: now });
  return true;
}
