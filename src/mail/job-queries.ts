import type { Knex } from 'knex';
import { isPostgres, toDate, type Db } from '../db';

/** SQL of the transactional mail queue (confirmations, receipts): one row per message to send. */

export interface MailJob {
  id: number;
  kind: string;
  subscriber_id: number | null;
  entry_id: number | null;
  staff_id: number | null;
  /** An entrant's draft (continue, reminders) or "my entries" sign-in the message is about. */
  draft_id?: number | null;
  sign_in_id?: number | null;
  attempts: number;
  /** When the mail was asked for (a notice says when its event happened). */
  created_at: unknown;
}

type Conn = Db | Knex.Transaction;

/** `status: 'dropped'` records a message that was asked for but is not due, without sending it. */
export function insertMailJobs(
  db: Conn,
  /** `run_after`: not sent before then (a slot on the shared send clock); now when absent. */
  jobs: { kind: string; subscriber_id?: number | null; entry_id?: number | null; staff_id?: number | null; draft_id?: number | null; sign_in_id?: number | null; status?: 'queued' | 'dropped'; run_after?: Date }[],
  now = new Date(),
) {
  if (!jobs.length) return Promise.resolve();
  return db.batchInsert(
    'mail_jobs',
    jobs.map((job) => ({
      kind: job.kind,
      subscriber_id: job.subscriber_id ?? null,
      entry_id: job.entry_id ?? null,
      staff_id: job.staff_id ?? null,
      draft_id: job.draft_id ?? null,
      sign_in_id: job.sign_in_id ?? null,
      status: job.status ?? 'queued',
      attempts: 0,
      run_after: job.run_after ?? now,
      created_at: now,
    })),
    500,
  );
}

/** Whether a job of this kind for this entry was queued since `since` (notices are sent at most that often). */
export async function hasMailJobForEntrySince(db: Conn, kind: string, entryId: number, since: Date): Promise<boolean> {
  const row = await db('mail_jobs').where({ kind, entry_id: entryId }).where('created_at', '>=', since).first('id');
  return Boolean(row);
}

/**
 * Queues messages meant to go once each (a result email per entry): a job whose unique_key
 * is already queued is left out, whoever queued it and however often.
 */
export async function insertUniqueMailJobs(db: Conn, jobs: { kind: string; unique_key: string; entry_id?: number | null }[], now = new Date()) {
  for (let i = 0; i < jobs.length; i += 500) {
    const rows = jobs.slice(i, i + 500).map((job) => ({ kind: job.kind, unique_key: job.unique_key, entry_id: job.entry_id ?? null, status: 'queued', attempts: 0, run_after: now, created_at: now }));
    await db('mail_jobs').insert(rows).onConflict('unique_key').ignore();
  }
}

/**
 * Claims due jobs for this process until `lockedUntil`. On PostgreSQL SKIP LOCKED lets
 * several processes claim side by side; SQLite has a single writer, so a transaction suffices.
 */
export async function claimDueMailJobs(db: Db, limit: number, lockedUntil: Date, now = new Date()): Promise<MailJob[]> {
  return db.transaction(async (trx) => {
    const query = trx('mail_jobs')
      .select('id', 'kind', 'subscriber_id', 'entry_id', 'staff_id', 'draft_id', 'sign_in_id', 'attempts', 'created_at')
      .where('status', 'queued')
      .where('run_after', '<=', now)
      .where((q) => q.whereNull('locked_until').orWhere('locked_until', '<', now))
      .orderBy('id')
      .limit(limit);
    if (isPostgres(db)) query.forUpdate().skipLocked();
    const jobs: MailJob[] = await query;
    if (jobs.length) {
      await trx('mail_jobs').whereIn('id', jobs.map((j) => j.id)).update({ locked_until: lockedUntil });
    }
    return jobs;
  });
}

/** When the next queued job not yet due falls due (an import's confirmations wait for their send slots); null when none waits. */
export async function findNextMailJobDue(db: Conn, now = new Date()): Promise<Date | null> {
  const row = await db('mail_jobs').where('status', 'queued').where('run_after', '>', now).min({ at: 'run_after' }).first();
  return toDate(row?.at);
}

export function markMailJobSent(db: Conn, id: number, now = new Date()) {
  return db('mail_jobs').where({ id }).update({ status: 'sent', sent_at: now, locked_until: null, last_error: null });
}

export function markMailJobDropped(db: Conn, id: number) {
  return db('mail_jobs').where({ id }).update({ status: 'dropped', locked_until: null });
}

export function rescheduleMailJob(db: Conn, id: number, attempts: number, runAfter: Date, error: string, failed: boolean) {
  return db('mail_jobs')
    .where({ id })
    .update({ attempts, run_after: runAfter, last_error: error.slice(0, 500), status: failed ? 'failed' : 'queued', locked_until: null });
}
