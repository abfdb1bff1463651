import type { Knex } from 'knex';
import { isPostgres, type Db } from '../db';
import { findSubscriberByIdForUpdate, insertSuppression, updateSubscriber } from './queries';
import { emailHash, newNonce } from './service';

/**
 * What a bounce or a complaint does to a subscriber (the rules of when are in
 * src/bounces/rules.ts). Both also put the address's hash on the suppression list, so a
 * later import cannot bring it back. Run inside the caller's transaction.
 */

type Trx = Db | Knex.Transaction;

/** Locks the subscriber's row so reports about one person are applied one at a time. */
export const lockSubscriber = (trx: Trx, subscriberId: number) => findSubscriberByIdForUpdate(trx, subscriberId, isPostgres(trx as Db));

/** The address is refused or gone: `bounced`, and suppressed. */
export async function markSubscriberBounced(trx: Trx, subscriberId: number, now: Date): Promise<boolean> {
  const subscriber = await lockSubscriber(trx, subscriberId);
  if (!subscriber) return false;
  await insertSuppression(trx, emailHash(subscriber.email), 'bounced');
  if (subscriber.status === 'bounced') return false;
  await updateSubscriber(trx, subscriberId, { status: 'bounced', bounced_at: now, token_nonce: newNonce(), updated_at: now });
  return true;
}

/** The reader marked a digest as spam: `unsubscribed`, and suppressed. */
export async function markSubscriberComplained(trx: Trx, subscriberId: number, now: Date): Promise<boolean> {
  const subscriber = await lockSubscriber(trx, subscriberId);
  if (!subscriber) return false;
  await insertSuppression(trx, emailHash(subscriber.email), 'complaint');
  if (subscriber.status === 'unsubscribed') return false;
  await updateSubscriber(trx, subscriberId, { status: 'unsubscribed', unsubscribed_at: now, token_nonce: newNonce(), updated_at: now });
  return true;
}
