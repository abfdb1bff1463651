import type { Db } from '../db';

/** The click counts' SQL, one named function per statement. */

/** A digest's tracked links (JSON) as composed; undefined for an unknown digest. */
export function findDigestLinks(db: Db, digestId: string): Promise<{ links: string | null } | undefined> {
  return db('digests').where({ id: digestId }).first('links');
}

/** Whether the delivery is the digest's (an erased reader's is gone, and then counts nothing). */
export async function deliveryBelongsToDigest(db: Db, deliveryId: number, digestId: string): Promise<boolean> {
  return Boolean(await db('deliveries').where({ id: deliveryId, digest_id: digestId }).first('id'));
}

/** One row per delivery and link: a second click of the same reader on the same link is ignored. */
export function insertClickIgnoringRepeat(db: Db, click: { digestId: string; deliveryId: number; position: number }, now: Date) {
  return db('digest_clicks')
    .insert({ digest_id: click.digestId, delivery_id: click.deliveryId, link_index: click.position, clicked_at: now })
    .onConflict(['delivery_id', 'link_index'])
    .ignore();
}

export async function countUniqueClicksByLink(db: Db, digestId: string): Promise<Map<number, number>> {
  const rows: { link_index: number; n: number | string }[] = await db('digest_clicks')
    .where({ digest_id: digestId })
    .groupBy('link_index')
    .select('link_index', db.raw('count(*) as n'));
  return new Map(rows.map((r) => [Number(r.link_index), Number(r.n)]));
}
