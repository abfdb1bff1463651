import type { Knex } from 'knex';
import type { Db } from '../db';
import type { StaffRole } from './schema';

/** The staff accounts' SQL: users, sessions, failed sign-ins, API tokens. */

export interface StaffRow {
  id: number;
  email: string;
  name: string | null;
  role: StaffRole;
  password_hash: string | null;
  token_nonce: string;
  totp_secret: string | null;
  totp_last_step: number | string | null;
  recovery_codes: string | null;
  locked_until: unknown;
  disabled_at: unknown;
  last_login_at: unknown;
  created_at: unknown;
  updated_at: unknown;
}

export interface StaffSessionRow {
  id: string;
  staff_id: number;
  stage: 'password' | 'full';
  created_at: unknown;
  last_seen_at: unknown;
}

export interface ApiTokenRow {
  id: number;
  staff_id: number;
  name: string;
  token_hash: string;
  prefix: string;
  created_at: unknown;
  last_used_at: unknown;
  revoked_at: unknown;
}

type Conn = Db | Knex.Transaction;

export function findStaffByEmail(db: Conn, email: string): Promise<StaffRow | undefined> {
  return db('staff_users').where({ email }).first();
}

export function findStaffById(db: Conn, id: number): Promise<StaffRow | undefined> {
  return db('staff_users').where({ id }).first();
}

export async function insertStaff(db: Conn, row: Omit<StaffRow, 'id'>): Promise<number> {
  const [inserted] = await db('staff_users').insert(row).returning('id');
  return typeof inserted === 'object' ? inserted.id : inserted;
}

export function updateStaff(db: Conn, id: number, patch: Partial<Omit<StaffRow, 'id'>>) {
  return db('staff_users').where({ id }).update(patch);
}

export function listStaffUsers(db: Conn): Promise<StaffRow[]> {
  return db('staff_users').orderBy([{ column: 'disabled_at', order: 'asc', nulls: 'first' }, 'email']);
}

export async function countStaffUsers(db: Conn): Promise<number> {
  const row = await db('staff_users').count<{ n: number | string }[]>({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

export function insertSession(db: Conn, row: StaffSessionRow) {
  return db('staff_sessions').insert(row);
}

export function findSession(db: Conn, id: string): Promise<StaffSessionRow | undefined> {
  return db('staff_sessions').where({ id }).first();
}

export function touchSession(db: Conn, id: string, now: Date) {
  return db('staff_sessions').where({ id }).update({ last_seen_at: now });
}

export function deleteSession(db: Conn, id: string) {
  return db('staff_sessions').where({ id }).delete();
}

export function deleteSessionsOf(db: Conn, staffId: number) {
  return db('staff_sessions').where({ staff_id: staffId }).delete();
}

export function deleteIdleSessions(db: Conn, seenBefore: Date) {
  return db('staff_sessions').where('last_seen_at', '<', seenBefore).delete();
}

export function insertLoginFailure(db: Conn, accountKey: string, now: Date) {
  return db('staff_login_failures').insert({ account_key: accountKey, created_at: now });
}

/** Failed sign-ins for one account key since a moment, oldest first. */
export async function listLoginFailuresSince(db: Conn, accountKey: string, since: Date): Promise<unknown[]> {
  const rows: { created_at: unknown }[] = await db('staff_login_failures')
    .where({ account_key: accountKey })
    .andWhere('created_at', '>=', since)
    .orderBy('created_at')
    .limit(200)
    .select('created_at');
  return rows.map((r) => r.created_at);
}

/** Records a TOTP time step as used, unless it (or a later one) already was: 1 when it was not. */
export function acceptTotpStep(db: Conn, id: number, step: number): Promise<number> {
  return db('staff_users')
    .where({ id })
    .andWhere((q) => q.whereNull('totp_last_step').orWhere('totp_last_step', '<', step))
    .update({ totp_last_step: step });
}

export function deleteLoginFailures(db: Conn, accountKey: string) {
  return db('staff_login_failures').where({ account_key: accountKey }).delete();
}

export function deleteOldLoginFailures(db: Conn, before: Date) {
  return db('staff_login_failures').where('created_at', '<', before).delete();
}

export async function insertApiToken(db: Conn, row: Omit<ApiTokenRow, 'id'>): Promise<number> {
  const [inserted] = await db('staff_api_tokens').insert(row).returning('id');
  return typeof inserted === 'object' ? inserted.id : inserted;
}

/** A live token and its owner, when the owner is not disabled. */
export function findActiveApiToken(db: Conn, tokenHash: string): Promise<(ApiTokenRow & { role: StaffRole; email: string }) | undefined> {
  return db('staff_api_tokens as t')
    .join('staff_users as s', 's.id', 't.staff_id')
    .where('t.token_hash', tokenHash)
    .whereNull('t.revoked_at')
    .whereNull('s.disabled_at')
    .first('t.*', 's.role', 's.email');
}

export function listApiTokensOf(db: Conn, staffId: number): Promise<ApiTokenRow[]> {
  return db('staff_api_tokens').where({ staff_id: staffId }).whereNull('revoked_at').orderBy('id', 'desc');
}

export function revokeApiToken(db: Conn, staffId: number, id: number, now: Date) {
  return db('staff_api_tokens').where({ id, staff_id: staffId }).whereNull('revoked_at').update({ revoked_at: now });
}

export function revokeApiTokensOf(db: Conn, staffId: number, now: Date) {
  return db('staff_api_tokens').where({ staff_id: staffId }).whereNull('revoked_at').update({ revoked_at: now });
}

export function markApiTokenUsed(db: Conn, id: number, now: Date) {
  return db('staff_api_tokens').where({ id }).update({ last_used_at: now });
}
