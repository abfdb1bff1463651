import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Db } from '../db';
import { isUniqueViolation, toDate } from '../db';
import { recordAudit } from '../audit/service';
import type { Actor } from '../audit/schema';
import { conflict, notFound } from '../errors';
import { insertMailJobs } from '../mail/job-queries';
import { checkPassword, hashPassword } from './passwords';
import {
  countStaffUsers,
  deleteLoginFailures,
  deleteSessionsOf,
  findActiveApiToken,
  findStaffByEmail,
  findStaffById,
  insertApiToken,
  insertLoginFailure,
  acceptTotpStep,
  listLoginFailuresSince,
  insertStaff,
  listStaffUsers,
  markApiTokenUsed,
  revokeApiToken,
  revokeApiTokensOf,
  updateStaff,
  type StaffRow,
} from './queries';
import { readStaffLink, staffLinkUrl, type StaffLinkPurpose } from './links';
import type { StaffRole } from './schema';
import { startSession } from './sessions';
import { matchTotp, recoveryCodeHash } from './totp';

export const STAFF_WELCOME_MAIL = 'staff-welcome';
export const STAFF_RESET_MAIL = 'staff-reset';

export const newNonce = () => randomBytes(12).toString('base64url');

export interface StaffDeps {
  db: Db;
  config: { baseUrl: string; secret: string };
}

export function staffActor(staff: Pick<StaffRow, 'id' | 'email' | 'role'>, via: 'staff' | 'token' = 'staff'): Actor {
  return { type: via, staffId: staff.id, label: staff.email, role: staff.role };
}

/** Creates an account with no password yet and emails its welcome link (also returned, for the command line). */
export async function addStaff(deps: StaffDeps, input: { email: string; role: StaffRole; name?: string }, actor: Actor, now = new Date()) {
  const { db } = deps;
  let id: number;
  try {
    id = await db.transaction(async (trx) => {
      const staffId = await insertStaff(trx, {
        email: input.email,
        name: input.name || null,
        role: input.role,
        password_hash: null,
        token_nonce: newNonce(),
        totp_secret: null,
        totp_last_step: null,
        recovery_codes: null,
        locked_until: null,
        disabled_at: null,
        last_login_at: null,
        created_at: now,
        updated_at: now,
      });
      await insertMailJobs(trx, [{ kind: STAFF_WELCOME_MAIL, staff_id: staffId }], now);
      await recordAudit(trx, actor, { action: 'staff.add', entity: 'staff', entityId: staffId, details: { role: input.role } }, now);
      return staffId;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('A staff account with this email address already exists.', 'staff_exists');
    throw err;
  }
  const staff = (await findStaffById(db, id))!;
  return { staff, welcomeUrl: staffLinkUrl(deps.config, staff, 'staff-welcome') };
}

export const listStaff = (db: Db) => listStaffUsers(db);
export const staffCount = (db: Db) => countStaffUsers(db);

/** Disables an account: its sessions and API tokens stop working at once. */
export async function disableStaff(db: Db, email: string, actor: Actor, now = new Date()) {
  const staff = await findStaffByEmail(db, email);
  if (!staff) throw notFound('There is no staff account with this email address.');
  await db.transaction(async (trx) => {
    await updateStaff(trx, staff.id, { disabled_at: now, updated_at: now });
    await deleteSessionsOf(trx, staff.id);
    await revokeApiTokensOf(trx, staff.id, now);
    await recordAudit(trx, actor, { action: 'staff.disable', entity: 'staff', entityId: staff.id }, now);
  });
  return staff;
}

export async function enableStaff(db: Db, id: number, actor: Actor, now = new Date()) {
  await updateStaff(db, id, { disabled_at: null, updated_at: now });
  await recordAudit(db, actor, { action: 'staff.enable', entity: 'staff', entityId: id }, now);
}

export async function changeStaffRole(db: Db, id: number, role: StaffRole, actor: Actor, now = new Date()) {
  await db.transaction(async (trx) => {
    await updateStaff(trx, id, { role, updated_at: now });
    // A new role takes effect at once: sessions held under the old one end.
    await deleteSessionsOf(trx, id);
    await recordAudit(trx, actor, { action: 'staff.role', entity: 'staff', entityId: id, details: { role } }, now);
  });
}

// ---- sign-in ---------------------------------------------------------------------------

export const LOCK_AFTER_FAILURES = 5;
export const LOCK_WINDOW_MS = 15 * 60_000;
export const LOCK_FOR_MS = 15 * 60_000;

/** The key failed attempts are counted under: an HMAC of the address typed, known or not. */
export function accountKey(secret: string, email: string) {
  return createHmac('sha256', secret).update(`staff-login:${email.trim().toLowerCase()}`).digest('hex');
}

export type SignInOutcome =
  | { outcome: 'signed-in'; cookie: string; staff: StaffRow }
  | { outcome: 'needs-code'; cookie: string; staff: StaffRow }
  | { outcome: 'invalid' }
  | { outcome: 'locked' };

/**
 * Email and password. Always runs one argon2 verification, counts failures per address
 * (existing or not) and refuses for 15 minutes after five within 15 minutes, so neither
 * the answer nor its timing says whether the account exists.
 */
export async function signInWithPassword(deps: StaffDeps, email: string, password: string, now = new Date()): Promise<SignInOutcome> {
  const { db } = deps;
  const key = accountKey(deps.config.secret, email);
  if (await isLocked(db, key, now)) {
    await checkPassword(null, password);
    return { outcome: 'locked' };
  }
  const staff = email ? await findStaffByEmail(db, email) : undefined;
  const ok = await checkPassword(staff?.password_hash ?? null, password);
  if (!ok || !staff || staff.disabled_at) {
    await insertLoginFailure(db, key, now);
    return (await isLocked(db, key, now)) ? { outcome: 'locked' } : { outcome: 'invalid' };
  }
  if (staff.totp_secret) {
    return { outcome: 'needs-code', cookie: await startSession(db, staff.id, 'password', now), staff };
  }
  await deleteLoginFailures(db, key);
  return { outcome: 'signed-in', cookie: await startSignedInSession(db, staff, 'password', now), staff };
}

/** A full session for someone who has just proved who they are; recorded as a sign-in. */
export async function startSignedInSession(db: Db, staff: StaffRow, factor: 'password' | 'totp' | 'link', now = new Date()) {
  await updateStaff(db, staff.id, { last_login_at: now });
  await recordAudit(db, staffActor(staff), { action: 'staff.sign_in', entity: 'staff', entityId: staff.id, details: { factor } }, now);
  return startSession(db, staff.id, 'full', now);
}

/** The second step: a TOTP code (once per time step) or one unused recovery code. */
export async function checkSecondFactor(deps: StaffDeps, staff: StaffRow, code: string, now = new Date()): Promise<'ok' | 'invalid' | 'locked'> {
  const { db } = deps;
  const key = accountKey(deps.config.secret, staff.email);
  if (await isLocked(db, key, now)) return 'locked';
  const fresh = (await findStaffById(db, staff.id))!;
  let accepted = false;
  const step = fresh.totp_secret ? await matchTotp(fresh.totp_secret, code, now.getTime()) : null;
  if (step !== null && (fresh.totp_last_step === null || step > Number(fresh.totp_last_step))) {
    // The conditional update makes a code used twice at the same moment count once.
    accepted = (await acceptTotpStep(db, fresh.id, step)) === 1;
  } else if (fresh.recovery_codes) {
    const codes: string[] = JSON.parse(fresh.recovery_codes);
    const hash = recoveryCodeHash(code);
    if (codes.includes(hash)) {
      await updateStaff(db, fresh.id, { recovery_codes: JSON.stringify(codes.filter((c) => c !== hash)) });
      await recordAudit(db, staffActor(fresh), { action: 'staff.recovery_code_used', entity: 'staff', entityId: fresh.id, details: { left: codes.length - 1 } }, now);
      accepted = true;
    }
  }
  if (!accepted) {
    await insertLoginFailure(db, key, now);
    return (await isLocked(db, key, now)) ? 'locked' : 'invalid';
  }
  await deleteLoginFailures(db, key);
  return 'ok';
}

async function isLocked(db: Db, key: string, now: Date) {
  const failures = await listLoginFailuresSince(db, key, new Date(now.getTime() - LOCK_WINDOW_MS - LOCK_FOR_MS));
  return lockedUntil(failures.map((f) => toDate(f)!), now) !== null;
}

/** When five failures fall within 15 minutes, the account is locked for 15 minutes from the fifth. */
export function lockedUntil(failureTimes: Date[], now: Date): Date | null {
  const times = failureTimes.map((d) => d.getTime()).sort((a, b) => a - b);
  for (let i = times.length - 1; i >= LOCK_AFTER_FAILURES - 1; i--) {
    if (times[i] - times[i - LOCK_AFTER_FAILURES + 1] <= LOCK_WINDOW_MS) {
      const until = times[i] + LOCK_FOR_MS;
      return until > now.getTime() ? new Date(until) : null;
    }
  }
  return null;
}

// ---- passwords -------------------------------------------------------------------------

/** The account a welcome or reset link names, while the link is still good. */
export async function staffForLink(deps: StaffDeps, token: unknown, purpose: StaffLinkPurpose, now = Date.now()): Promise<StaffRow | null> {
  const check = readStaffLink(deps.config.secret, token, purpose, now);
  if (!check.ok) return null;
  const staff = await findStaffById(deps.db, Number(check.claims.subject));
  if (!staff || staff.disabled_at || staff.token_nonce !== check.claims.nonce) return null;
  return staff;
}

/** Sets a new password; every other session and every link issued before ends. */
export async function setStaffPassword(db: Db, staff: StaffRow, password: string, actor: Actor, now = new Date()) {
  const passwordHash = await hashPassword(password);
  await db.transaction(async (trx) => {
    await updateStaff(trx, staff.id, { password_hash: passwordHash, token_nonce: newNonce(), locked_until: null, updated_at: now });
    await deleteSessionsOf(trx, staff.id);
    await recordAudit(trx, actor, { action: 'staff.password_set', entity: 'staff', entityId: staff.id }, now);
  });
}

export async function verifyCurrentPassword(staff: StaffRow, password: string) {
  return checkPassword(staff.password_hash, password);
}

/** Queues a reset email when the address is a live account; the caller answers the same either way. */
export async function requestPasswordReset(db: Db, email: string, now = new Date()) {
  const staff = email ? await findStaffByEmail(db, email) : undefined;
  if (!staff || staff.disabled_at) return;
  await insertMailJobs(db, [{ kind: STAFF_RESET_MAIL, staff_id: staff.id }], now);
}

// ---- TOTP ------------------------------------------------------------------------------

export async function enableTotp(db: Db, staff: StaffRow, secret: string, recoveryHashes: string[], step: number, now = new Date()) {
  await updateStaff(db, staff.id, { totp_secret: secret, totp_last_step: step, recovery_codes: JSON.stringify(recoveryHashes), updated_at: now });
  await recordAudit(db, staffActor(staff), { action: 'staff.totp_enabled', entity: 'staff', entityId: staff.id }, now);
}

export async function disableTotp(db: Db, staff: StaffRow, now = new Date()) {
  await updateStaff(db, staff.id, { totp_secret: null, totp_last_step: null, recovery_codes: null, updated_at: now });
  await recordAudit(db, staffActor(staff), { action: 'staff.totp_disabled', entity: 'staff', entityId: staff.id }, now);
}

// ---- personal API tokens ---------------------------------------------------------------

const TOKEN_PREFIX = 'msk_';
const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** A new token, returned once in full; only its hash is stored. */
export async function createApiToken(db: Db, staff: StaffRow, name: string, now = new Date()) {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const id = await insertApiToken(db, { staff_id: staff.id, name, token_hash: tokenHash(token), prefix: token.slice(0, 10), created_at: now, last_used_at: null, revoked_at: null });
  await recordAudit(db, staffActor(staff), { action: 'staff.token_created', entity: 'staff', entityId: staff.id, details: { token: id } }, now);
  return { id, token };
}

export async function revokeOwnApiToken(db: Db, staff: StaffRow, id: number, now = new Date()) {
  const revoked = await revokeApiToken(db, staff.id, id, now);
  if (revoked) await recordAudit(db, staffActor(staff), { action: 'staff.token_revoked', entity: 'staff', entityId: staff.id, details: { token: id } }, now);
  return revoked > 0;
}

/** The actor behind a personal token, or null. The token is high-entropy, so a lookup by its hash is safe. */
export async function actorForApiToken(db: Db, token: string, now = new Date()): Promise<Actor | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 100) return null;
  const row = await findActiveApiToken(db, tokenHash(token));
  if (!row) return null;
  const lastUsed = toDate(row.last_used_at);
  if (!lastUsed || now.getTime() - lastUsed.getTime() > 60_000) await markApiTokenUsed(db, row.id, now);
  return { type: 'token', staffId: row.staff_id, label: row.email, role: row.role };
}
