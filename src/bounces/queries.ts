import type { Knex } from 'knex';
import type { Db } from '../db';
import type { EventKind, Provider } from './rules';

/** The bounce and complaint events' SQL, one named function per statement. */

type Conn = Db | Knex.Transaction;

export interface DeliveryEventRow {
  provider: Provider;
  provider_event_id: string;
  kind: EventKind;
  delivery_id: number | null;
  digest_id: string | null;
  subscriber_id: number | null;
  occurred_at: Date;
  received_at: Date;
}

/** Stores an event unless the provider already reported it; true when it is new. */
export async function insertDeliveryEvent(db: Conn, row: DeliveryEventRow): Promise<boolean> {
  const inserted = await db('delivery_events').insert(row).onConflict(['provider', 'provider_event_id']).ignore().returning('id');
  return inserted.length > 0;
}

/** Soft bounces of one subscriber in (from, to]. */
export async function countSoftBouncesBetween(db: Conn, subscriberId: number, from: Date, to: Date): Promise<number> {
  const [{ n }] = await db('delivery_events')
    .where({ subscriber_id: subscriberId, kind: 'soft_bounce' })
    .where('occurred_at', '>', from)
    .where('occurred_at', '<=', to)
    .count({ n: '*' });
  return Number(n);
}

/** Of a digest's deliveries: how many bounced (hard or soft, each once) and how many complained. */
export async function countDigestEvents(db: Conn, digestId: string): Promise<{ bounced: number; complaints: number }> {
  const rows: { kind: EventKind; n: number | string }[] = await db('delivery_events')
    .where({ digest_id: digestId })
    .groupByRaw(`case when kind = 'complaint' then 'complaint' else 'bounce' end`)
    .select(db.raw(`case when kind = 'complaint' then 'complaint' else 'bounce' end as kind`), db.raw('count(distinct delivery_id) as n'));
  const of = (kind: string) => Number(rows.find((r) => r.kind === kind)?.n ?? 0);
  return { bounced: of('bounce'), complaints: of('complaint') };
}

/**
 * Recipients of a digest who have unsubscribed since it started going out. Starts from the
 * unsubscribed (few, by the status index) and checks each against the digest's unique
 * (digest, subscriber) pair, rather than walking every delivery of a large digest.
 */
export async function countUnsubscribedSince(db: Conn, digestId: string, since: Date): Promise<number> {
  const [{ n }] = await db('subscribers as s')
    .where('s.status', 'unsubscribed')
    .where('s.unsubscribed_at', '>=', since)
    .whereExists(db('deliveries as d').whereRaw('d.subscriber_id = s.id').where('d.digest_id', digestId))
    .count({ n: '*' });
  return Number(n);
}
