import type { Db } from '../db';
import { safeEqual } from '../tokens';
import { digestMessageId } from './mime';

/**
 * Which delivery a Message-ID names, for reports that come back after a digest left
 * (bounces, complaints). Read-only. The Message-ID is `<digest>.<tag>@<domain>` (see
 * digestMessageId); the tag is an HMAC of the recipient's address, so a report is tied to a
 * delivery only when its address is the one the tag was made for: a forged or mistyped
 * report cannot move someone else.
 */
export interface DeliveryMatch {
  deliveryId: number;
  digestId: string;
  subscriberId: number | null;
}

const MESSAGE_ID = /^<?([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{22})@([^\s<>@]{1,253})>?$/;

export async function findDeliveryByMessageId(db: Db, secret: string, messageId: string, email: string): Promise<DeliveryMatch | null> {
  const parts = MESSAGE_ID.exec(messageId.trim());
  if (!parts) return null;
  const [, digestId, , domain] = parts;
  const address = email.trim().toLowerCase();
  const expected = digestMessageId(secret, digestId, address, domain);
  if (!safeEqual(expected, `${digestId}.${parts[2]}@${domain}`)) return null;
  // A subscriber's row by the unique (digest, subscriber) pair; a test recipient (no subscriber) by address.
  const row: { id: number; digest_id: string; subscriber_id: number | null } | undefined =
    (await db('deliveries as d')
      .join('subscribers as s', 's.id', 'd.subscriber_id')
      .where({ 'd.digest_id': digestId, 's.email': address })
      .first('d.id', 'd.digest_id', 'd.subscriber_id')) ??
    (await db('deliveries').where({ digest_id: digestId, email: address }).whereNull('subscriber_id').first('id', 'digest_id', 'subscriber_id'));
  return row ? { deliveryId: row.id, digestId: row.digest_id, subscriberId: row.subscriber_id } : null;
}
