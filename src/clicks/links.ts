import { DAY, signToken, verifyToken } from '../tokens';

/**
 * A tracked article link: `/r/<token>`, the token signed and naming only the digest, the
 * delivery and the link's position in the digest. The target is never in the token: it is
 * read from the stored digest, so no token (forged or not) can redirect anywhere else.
 */
export interface ClickTarget {
  digestId: string;
  deliveryId: number;
  position: number;
}

/** Links keep working in old emails for years; a click past that gets the "link expired" page. */
const CLICK_TOKEN_TTL = 5 * 365 * DAY;
const SUBJECT = /^([A-Za-z0-9_-]{1,32})\.(\d{1,12})\.(\d{1,3})$/;

export function clickUrl(config: { baseUrl: string; secret: string }, target: ClickTarget): string {
  const subject = `${target.digestId}.${target.deliveryId}.${target.position}`;
  return `${config.baseUrl}/r/${signToken(config.secret, { purpose: 'click', subject, nonce: '' }, CLICK_TOKEN_TTL)}`;
}

/** The target a token names, or null when it is not one we signed (or has expired). */
export function readClickToken(secret: string, token: unknown): ClickTarget | null {
  const check = verifyToken(secret, token, 'click');
  if (!check.ok) return null;
  const parts = SUBJECT.exec(check.claims.subject);
  return parts ? { digestId: parts[1], deliveryId: Number(parts[2]), position: Number(parts[3]) } : null;
}
