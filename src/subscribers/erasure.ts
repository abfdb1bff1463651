import type { Db } from '../db';
import { deleteDeliveriesOfSubscriber } from '../delivery/queries';
import { deleteSubscriber, findSubscriberByEmail, insertSuppression } from './queries';
import { emailHash } from './service';

/**
 * Erasure reaches into every feature that holds the person (their digest deliveries
 * included), so it lives apart from the subscription rules: the delivery pipeline depends
 * on subscribers/service, and this file, not that one, depends on the delivery store.
 */

/**
 * Erases a person: their row, topics, queued mail and digest deliveries go; only the address's hash
 * stays on the suppression list. Returns false when the address is unknown.
 */
export async function eraseSubscriber(deps: { db: Db }, email: string): Promise<boolean> {
  const normalised = email.trim().toLowerCase().normalize('NFC');
  return deps.db.transaction(async (trx) => {
    const subscriber = await findSubscriberByEmail(trx, normalised);
    if (!subscriber) return false;
    await insertSuppression(trx, emailHash(normalised), 'erased');
    await deleteDeliveriesOfSubscriber(trx, subscriber.id);
    await deleteSubscriber(trx, subscriber.id);
    return true;
  });
}
