import type { Db } from '../db';
import { storedLinks } from '../digests/service';
import { readClickToken } from './links';
import { countUniqueClicksByUrl, findDeliveryLinks, findDigestLinks, insertClickIgnoringRepeat } from './queries';

/**
 * Click counts: a reader's click on a tracked link is counted once per link, then they go
 * on to the article. Opens are not tracked.
 */

/** Where a click token leads (the link stored with the delivery's message), counting the click; null for a bad token. */
export async function followClick(db: Db, secret: string, token: unknown, now = new Date()): Promise<string | null> {
  const target = readClickToken(secret, token);
  if (!target) return null;
  const message = await findDeliveryLinks(db, target.deliveryId, target.digestId);
  const url = storedLinks(message?.links)?.[target.position];
  if (!url) return null;
  await insertClickIgnoringRepeat(db, { ...target, url }, now);
  return url;
}

/** Unique clicks per link of a digest composed with tracking, in the digest's order; null without. */
export async function digestClicks(db: Db, digestId: string): Promise<{ url: string; unique: number }[] | null> {
  const links = storedLinks((await findDigestLinks(db, digestId))?.links);
  if (!links) return null;
  const counts = await countUniqueClicksByUrl(db, digestId);
  return links.map((url) => ({ url, unique: counts.get(url) ?? 0 }));
}
