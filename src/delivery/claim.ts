import type { Db } from '../db';
import { claimDeliveryBatch, listDigestStatuses, releaseDeliveries, type ClaimedDelivery } from './queries';

/**
 * Claims a batch, then gives back untouched the rows of digests paused or cancelled after
 * the claim's statement ran. Returns the rows to send and how many were claimed in all.
 */
export async function claimSendable(db: Db, workerId: string, limit: number, leaseSeconds: number, now: Date): Promise<{ rows: ClaimedDelivery[]; claimed: number }> {
  const claimed = await claimDeliveryBatch(db, workerId, limit, new Date(now.getTime() + leaseSeconds * 1000), now);
  if (!claimed.length) return { rows: [], claimed: 0 };
  const digestIds = [...new Set(claimed.map((c) => c.digest_id))];
  const sending = new Set((await listDigestStatuses(db, digestIds)).filter((d) => d.status === 'sending').map((d) => d.id));
  await releaseDeliveries(db, claimed.filter((c) => !sending.has(c.digest_id)).map((c) => c.id));
  return { rows: claimed.filter((c) => sending.has(c.digest_id)), claimed: claimed.length };
}
