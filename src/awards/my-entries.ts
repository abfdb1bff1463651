import { randomBytes } from 'node:crypto';
import { toDate } from '../db';
import { insertMailJobs } from '../mail/job-queries';
import { signToken, verifyToken } from '../tokens';
import { draftPath } from './drafts';
import { lockReason } from './entry-editing';
import { consumeSignIn, findSignInById, insertSignIn, listDraftsOfEmail, listEntriesOfEmail, listEntryIdsWithScorecards } from './queries';
import { ENTRANT_STATUS_LABELS, NEXT_STATUSES, type EntryStatus } from './schema';
import { entrantStatus, receiptUrl, type AwardsDeps, type Programme } from './service';
import { formatInZone, programmeState } from './time';

/**
 * "My entries": an entrant asks for a sign-in link by email (15 minutes, one use: the
 * link's nonce is consumed by one conditional UPDATE), and the link opens a short session
 * that lists every entry and draft of that address across programmes.
 */
export const SIGN_IN_MAIL = 'entrant_sign_in';
export const SIGN_IN_TTL_MS = 15 * 60_000;
export const SESSION_TTL_SECONDS = 30 * 60;
export const SESSION_COOKIE = 'masthead.entrant';

/** Records a sign-in and queues its email, whether or not the address has entries (the mail handler decides). */
export async function requestSignIn(deps: AwardsDeps, email: string, now = new Date()) {
  await deps.db.transaction(async (trx) => {
    const id = await insertSignIn(trx, { email_key: email.toLowerCase(), nonce: randomBytes(12).toString('base64url'), created_at: now, expires_at: new Date(now.getTime() + SIGN_IN_TTL_MS) });
    await insertMailJobs(trx, [{ kind: SIGN_IN_MAIL, sign_in_id: id }], now);
  });
  deps.mailQueued();
}

export function signInUrl(config: { baseUrl: string; secret: string }, signIn: { id: number; nonce: string; expires_at: unknown }, now = Date.now()) {
  const ttl = Math.max(1, Math.floor(((toDate(signIn.expires_at)?.getTime() ?? now) - now) / 1000));
  const token = signToken(config.secret, { purpose: 'entrant-sign-in', subject: String(signIn.id), nonce: signIn.nonce }, ttl, now);
  return `${config.baseUrl}/awards/my-entries/sign-in?token=${encodeURIComponent(token)}`;
}

/** Whether a sign-in link may still be used (for the page with its button; using it is signIn). */
export async function signInUsable(deps: AwardsDeps, token: unknown, now = new Date()): Promise<boolean> {
  const check = verifyToken(deps.config.secret, token, 'entrant-sign-in', now.getTime());
  if (!check.ok) return false;
  const row = await findSignInById(deps.db, Number(check.claims.subject));
  return Boolean(row && row.nonce === check.claims.nonce && !row.consumed_at && (toDate(row.expires_at)?.getTime() ?? 0) > now.getTime());
}

/** Uses the link once: the session cookie's value, or null when the link is used, expired or wrong. */
export async function signIn(deps: AwardsDeps, token: unknown, now = new Date()): Promise<string | null> {
  const check = verifyToken(deps.config.secret, token, 'entrant-sign-in', now.getTime());
  if (!check.ok) return null;
  const id = Number(check.claims.subject);
  if (!(await consumeSignIn(deps.db, id, check.claims.nonce, now))) return null;
  return signToken(deps.config.secret, { purpose: 'entrant-session', subject: String(id), nonce: check.claims.nonce }, SESSION_TTL_SECONDS, now.getTime());
}

/** The address a session cookie stands for, or null. */
export async function sessionEmail(deps: AwardsDeps, cookie: unknown): Promise<string | null> {
  const check = verifyToken(deps.config.secret, cookie, 'entrant-session');
  if (!check.ok) return null;
  const row = await findSignInById(deps.db, Number(check.claims.subject));
  return row && row.nonce === check.claims.nonce && row.consumed_at ? row.email_key : null;
}


/** The address's entries and drafts, newest programme last, each with what the entrant may do. The results embargo holds. */
export async function listMyEntries(deps: AwardsDeps, emailKey: string, now = new Date()) {
  const [entries, drafts] = await Promise.all([listEntriesOfEmail(deps.db, emailKey), listDraftsOfEmail(deps.db, emailKey)]);
  const judged = await listEntryIdsWithScorecards(deps.db, entries.map((e) => e.id));
  const shape = (row: { opens_at: unknown; closes_at: unknown }) => {
    const opensAt = toDate(row.opens_at)!;
    const closesAt = toDate(row.closes_at)!;
    return { opensAt, closesAt, state: programmeState(opensAt, closesAt, now), deadline: formatInZone(closesAt, 'UTC') };
  };
  return {
    entries: entries.map((e) => {
      const receipt = new URL(receiptUrl(deps, e.programme_slug, e));
      const token = encodeURIComponent(receipt.searchParams.get('token')!);
      const locked = lockReason(e, shape(e) as Programme, judged.has(e.id), now);
      return {
        reference: e.reference,
        programme: e.programme_name,
        category: e.category_name,
        organisation: e.organisation,
        status: ENTRANT_STATUS_LABELS[entrantStatus(e.status, e)] ?? e.status,
        receiptPath: receipt.pathname + receipt.search,
        editPath: locked ? null : `/awards/${e.programme_slug}/entries/${e.reference}/edit?token=${token}`,
        withdrawPath: NEXT_STATUSES[e.status as EntryStatus]?.includes('withdrawn') ? `/awards/${e.programme_slug}/entries/${e.reference}/withdraw?token=${token}` : null,
      };
    }),
    drafts: drafts.map((d) => {
      const fields = JSON.parse(d.fields) as { organisation?: string };
      return {
        programme: d.programme_name,
        organisation: fields.organisation || 'Untitled draft',
        status: ENTRANT_STATUS_LABELS.draft,
        open: shape(d).state === 'open',
        continuePath: draftPath(deps.config.secret, d.programme_slug, d),
      };
    }),
  };
}
