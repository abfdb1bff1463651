import { createHmac, hash } from 'node:crypto';
import { safeEqual } from '../tokens';

/**
 * A tracked article link: `/r/<digest>.<delivery>.<position>.<tag>`, naming only the
 * digest, the delivery and the link's position. The target is never in the token: it is
 * read from the stored digest, so no token (forged or not) can redirect anywhere else.
 *
 * The tag signs all three. It is made in two steps because a digest message carries ten or
 * so of these and one HMAC costs 15–25 µs here: one HMAC per delivery (secret, digest and
 * delivery) gives a key only its reader's links reveal nothing of, and each position's tag
 * is a hash of that key with the position. No expiry: links in old emails keep working.
 */
export interface ClickTarget {
  digestId: string;
  deliveryId: number;
  position: number;
}

const TOKEN = /^([A-Za-z0-9_-]{1,32})\.([0-9a-z]{1,10})\.(\d{1,3})\.([A-Za-z0-9_-]{22})$/;

function deliveryKey(secret: string, digestId: string, deliveryId: number): string {
  return createHmac('sha256', secret).update(`click:${digestId}.${deliveryId}`).digest('hex');
}

// The key is 256 secret bits and the message a fixed shape ("." and up to three digits), so
// a plain hash of the two is a keyed tag; the one-shot hash() is ten times cheaper than a Hash object.
const positionTag = (key: string, position: number) => hash('sha256', `${key}.${position}`, 'base64url').slice(0, 22);

/** The delivery's redirect links, one per tracked position, in order. */
export function clickUrls(config: { baseUrl: string; secret: string }, digestId: string, deliveryId: number, count: number): string[] {
  if (!count) return [];
  const key = deliveryKey(config.secret, digestId, deliveryId);
  const prefix = `${config.baseUrl}/r/${digestId}.${deliveryId.toString(36)}.`;
  return Array.from({ length: count }, (_, position) => `${prefix}${position}.${positionTag(key, position)}`);
}

/** The target a token names, or null when it is not one we signed. */
export function readClickToken(secret: string, token: unknown): ClickTarget | null {
  if (typeof token !== 'string') return null;
  const parts = TOKEN.exec(token);
  if (!parts) return null;
  const [, digestId, delivery, position, tag] = parts;
  const target = { digestId, deliveryId: parseInt(delivery, 36), position: Number(position) };
  const expected = positionTag(deliveryKey(secret, digestId, target.deliveryId), target.position);
  return safeEqual(expected, tag) ? target : null;
}
