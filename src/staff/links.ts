import { signToken, verifyToken, type TokenPurpose } from '../tokens';
import type { StaffRow } from './queries';

/**
 * Welcome (set your first password, 72 h) and reset (1 h) links. They are signed, name the
 * account and carry its nonce, which changes when a password is set: each link works once.
 */
export const WELCOME_TTL_SECONDS = 72 * 60 * 60;
export const RESET_TTL_SECONDS = 60 * 60;

export type StaffLinkPurpose = Extract<TokenPurpose, 'staff-welcome' | 'staff-reset'>;

export function staffLinkToken(secret: string, staff: Pick<StaffRow, 'id' | 'token_nonce'>, purpose: StaffLinkPurpose, now = Date.now()) {
  const ttl = purpose === 'staff-welcome' ? WELCOME_TTL_SECONDS : RESET_TTL_SECONDS;
  return signToken(secret, { purpose, subject: String(staff.id), nonce: staff.token_nonce }, ttl, now);
}

export function staffLinkUrl(config: { baseUrl: string; secret: string }, staff: Pick<StaffRow, 'id' | 'token_nonce'>, purpose: StaffLinkPurpose) {
  const page = purpose === 'staff-welcome' ? 'welcome' : 'reset';
  return `${config.baseUrl}/admin/${page}?token=${encodeURIComponent(staffLinkToken(config.secret, staff, purpose))}`;
}

export function readStaffLink(secret: string, token: unknown, purpose: StaffLinkPurpose, now = Date.now()) {
  return verifyToken(secret, token, purpose, now);
}
