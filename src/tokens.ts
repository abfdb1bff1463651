import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed, expiring, single-purpose tokens for links in emails:
 * base64url(JSON payload) "." base64url(HMAC-SHA256). The purpose is inside the signed
 * payload, so a token minted for one action is refused by every other.
 */
export type TokenPurpose = 'confirm' | 'unsubscribe' | 'preferences' | 'receipt' | 'staff-welcome' | 'staff-reset' | 'draft' | 'held-documents' | 'entrant-sign-in' | 'entrant-session';

export interface TokenClaims {
  purpose: TokenPurpose;
  subject: string; // the id of the row the token acts on
  nonce: string; // must still match the row's nonce: reuse after a change of state fails
  expiresAt: number; // epoch seconds
}

export const DAY = 24 * 60 * 60;

export function signToken(secret: string, claims: Omit<TokenClaims, 'expiresAt'>, ttlSeconds: number, now = Date.now()): string {
  const payload = {
    p: claims.purpose,
    s: claims.subject,
    n: claims.nonce,
    e: Math.floor(now / 1000) + ttlSeconds,
  };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${mac(secret, body)}`;
}

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: 'invalid' | 'expired' };

export function verifyToken(secret: string, token: unknown, purpose: TokenPurpose, now = Date.now()): TokenCheck {
  if (typeof token !== 'string' || token.length > 512) return { ok: false, reason: 'invalid' };
  const [body, signature, extra] = token.split('.');
  if (!body || !signature || extra !== undefined) return { ok: false, reason: 'invalid' };
  const expected = Buffer.from(mac(secret, body));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
  let payload: { p?: unknown; s?: unknown; n?: unknown; e?: unknown };
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  if (payload.p !== purpose || typeof payload.s !== 'string' || typeof payload.n !== 'string' || typeof payload.e !== 'number') {
    return { ok: false, reason: 'invalid' };
  }
  if (payload.e * 1000 < now) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { purpose, subject: payload.s, nonce: payload.n, expiresAt: payload.e } };
}

/** Constant-time comparison of two secrets of any length. */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHmac('sha256', 'compare').update(a).digest();
  const hb = createHmac('sha256', 'compare').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function mac(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}
