import type { Db } from '../db';
import { storedLinks } from '../digests/service';
import { readClickToken } from './links';
import { countUniqueClicksByLink, deliveryBelongsToDigest, findDigestLinks, insertClickIgnoringRepeat } from './queries';

/**
 * Click counts: a reader's click on a tracked link is counted once per link, then they go
 * on to the article. Opens are not tracked.
 */

/** Where a click token leads (the stored digest's link), counting the click; null for a bad token. */
export async function followClick(db: Db, secret: string, token: unknown, now = new Date()): Promise<string | null> {
  const target = readClickToken(secret, token);
  if (!target) return null;
  const digest = await findDigestLinks(db, target.digestId);
  const url = storedLinks(digest?.links)?.[target.position];
  if (!url) return null;
  if (await deliveryBelongsToDigest(db, target.deliveryId, target.digestId)) await insertClickIgnoringRepeat(db, target, now);
  return url;
}

/** Unique clicks per link of a digest composed with tracking, in the digest's order; null without. */
export async function digestClicks(db: Db, digestId: string): Promise<{ url: string; unique: number }[] | null> {
  const links = storedLinks((await findDigestLinks(db, digestId))?.links);
  if (!links) return null;
  const counts = await countUniqueClicksByLink(db, digestId);
  return links.map((url, position) => ({ url, unique: counts.get(position) ?? 0 }));
}
