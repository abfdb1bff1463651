import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db';
import { toDate } from '../db';
import { deleteSession, findSession, findStaffById, insertSession, touchSession, type StaffRow, type StaffSessionRow } from './queries';

/**
 * Console sessions live in the database (either engine), so every process sees the same
 * ones and sign-out or disabling an account ends them at once. The cookie holds a random
 * value; the table holds only its SHA-256.
 */
export const SESSION_IDLE_MS = 12 * 60 * 60_000;
// last_seen_at is written at most this often, so a busy page does not write on every request.
const TOUCH_EVERY_MS = 60_000;

export const sessionId = (cookieValue: string) => createHash('sha256').update(cookieValue).digest('hex');

export async function startSession(db: Db, staffId: number, stage: StaffSessionRow['stage'], now = new Date()): Promise<string> {
  const value = randomBytes(32).toString('base64url');
  await insertSession(db, { id: sessionId(value), staff_id: staffId, stage, created_at: now, last_seen_at: now });
  return value;
}

export interface LiveSession {
  session: StaffSessionRow;
  staff: StaffRow;
}

/** The session behind a cookie value, or null when it is unknown, idle too long, or its account is disabled. */
export async function readSession(db: Db, cookieValue: unknown, now = new Date()): Promise<LiveSession | null> {
  if (typeof cookieValue !== 'string' || cookieValue.length < 20 || cookieValue.length > 100) return null;
  const id = sessionId(cookieValue);
  const session = await findSession(db, id);
  if (!session) return null;
  const lastSeen = toDate(session.last_seen_at)!.getTime();
  if (now.getTime() - lastSeen > SESSION_IDLE_MS) {
    await deleteSession(db, id);
    return null;
  }
  const staff = await findStaffById(db, session.staff_id);
  if (!staff || staff.disabled_at) return null;
  if (now.getTime() - lastSeen > TOUCH_EVERY_MS) await touchSession(db, id, now);
  return { session, staff };
}

export function endSession(db: Db, cookieValue: unknown) {
  if (typeof cookieValue !== 'string') return Promise.resolve(0);
  return deleteSession(db, sessionId(cookieValue));
}

