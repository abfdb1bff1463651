import type { Db } from '../db';

/** The click counts' SQL, one named function per statement. */

/** A digest's tracked links (JSON) as composed, all its sections; undefined for an unknown digest. */
export function findDigestLinks(db: Db, digestId: string): Promise<{ links: string | null } | undefined> {
  return db('digests').where({ id: digestId }).first('links');
}

/**
 * The tracked links of the message this delivery got: its variant's (a digest of several
 * topics, whose readers get only their sections) or the digest's own. Undefined when the
 * delivery is not the digest's, or is gone (an erased reader's).
 */
export async function findDeliveryLinks(db: Db, deliveryId: number, digestId: string): Promise<{ links: string | null } | undefined> {
  const delivery: { variant: number | null } | undefined = await db('deliveries').where({ id: deliveryId, digest_id: digestId }).first('variant');
  if (!delivery) return undefined;
  if (delivery.variant === null || delivery.variant === undefined) return findDigestLinks(db, digestId);
  return db('digest_variants').where({ digest_id: digestId, topics_mask: delivery.variant }).first('links');
}

/** One row per delivery and link: a second click of the same reader on the same link is ignored. */
export function insertClickIgnoringRepeat(db: Db, click: { digestId: string; deliveryId: number; position: number; url: string }, now: Date) {
  return db('digest_clicks')
    .insert({ digest_id: click.digestId, delivery_id: click.deliveryId, link_index: click.position, url: click.url, clicked_at: now })
    .onConflict(['delivery_id', 'link_index'])
    .ignore();
}

/** Readers who clicked each link of a digest (a link appears once in any one message, so rows are readers). */
export async function countUniqueClicksByUrl(db: Db, digestId: string): Promise<Map<string, number>> {
  const rows: { url: string; n: number | string }[] = await db('digest_clicks').where({ digest_id: digestId }).groupBy('url').select('url', db.raw('count(*) as n'));
  return new Map(rows.map((r) => [r.url, Number(r.n)]));
}
