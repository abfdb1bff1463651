import type { Knex } from 'knex';
import { isPostgres, type Db } from '../db';

/**
 * The delivery store: the only code that touches `deliveries` and a digest's send state
 * (status, recipients, start and end). Snapshot, claim, record, count; one named function
 * per statement. The digest's content is the digests feature's, subscribers' state the
 * subscribers feature's.
 */

type Conn = Db | Knex.Transaction;

export interface ClaimedDelivery {
  id: number;
  digest_id: string;
  subscriber_id: number | null;
  email: string;
  attempts: number;
  /** The digest variant this recipient gets (a digest of several topics), or null. */
  variant: number | null;
}

export interface DeliveryCounts {
  queued: number;
  sending: number;
  sent: number;
  failed: number;
}

/** The highest subscriber id now: a digest's recipients are subscribers up to it. */
export async function maxSubscriberId(db: Conn): Promise<number> {
  const row = await db('subscribers').max({ id: 'id' }).first();
  return Number(row?.id ?? 0);
}

/**
 * The end of the next range of at most `size` subscriber ids after `after`, never past
 * `until`: one short walk along the primary key.
 */
export async function subscriberRangeEnd(db: Conn, after: number, until: number, size: number): Promise<number> {
  const row = await db('subscribers').where('id', '>', after).where('id', '<=', until).orderBy('id').offset(size - 1).first('id');
  return row ? Number(row.id) : until;
}

/** Who a digest goes to: one topic's confirmed readers, or (by variant) those of any of its topics. */
export interface RecipientQuery {
  digestId: string;
  topicId: number;
  /** A digest of several topics: each reader's variant is the sum of the bits of the topics they follow. */
  sectioned: boolean;
}

/**
 * Confirmed readers of a sectioned digest, with their variant, among subscriber ids in
 * (after, upto]. A membership carries its subscriber's status (kept by the database).
 */
const readerMasks = `select st.subscriber_id, sum(dt.bit) as mask
  from subscriber_topics st join digest_topics dt on dt.topic_id = st.topic_id and dt.digest_id = ?
  where st.status = 'confirmed' and st.subscriber_id > ? and st.subscriber_id <= ?
  group by st.subscriber_id`;

/**
 * How many recipients the digest has among subscriber ids up to `until`, by variant (one
 * row with variant null for a digest of one topic). Counting is much cheaper than writing
 * the rows, so the trigger can answer with the number before the rows exist.
 */
export async function countRecipientsByVariant(db: Conn, q: RecipientQuery, until: number): Promise<{ variant: number | null; n: number }[]> {
  if (!q.sectioned) {
    // One range of the (topic_id, status, subscriber_id) index, read without the table.
    const [row] = await db('subscriber_topics').where({ topic_id: q.topicId, status: 'confirmed' }).where('subscriber_id', '<=', until).count({ n: '*' });
    return [{ variant: null, n: Number(row.n) }];
  }
  const result = await db.raw(`select m.mask as variant, count(*) as n from (${readerMasks}) m group by m.mask order by m.mask`, [q.digestId, 0, until]);
  const rows: { variant: number | string; n: number | string }[] = Array.isArray(result) ? result : result.rows;
  return rows.map((r) => ({ variant: Number(r.variant), n: Number(r.n) }));
}

/**
 * Writes the digest's recipients among subscriber ids in (after, upto] as queued rows, in
 * one set-based statement; the unique (digest, subscriber) pair keeps each person once.
 * A sectioned digest takes only readers whose topic combination was rendered (`variants`):
 * someone who changed topics since the trigger waits for the next digest.
 */
export async function insertRecipientRange(db: Conn, q: RecipientQuery, after: number, upto: number, variants: number[], now: Date): Promise<void> {
  if (!q.sectioned) {
    await db.raw(
      `insert into deliveries (digest_id, subscriber_id, email, status, attempts, next_attempt_at)
       select ?, s.id, s.email, 'queued', 0, ?
       from subscriber_topics st join subscribers s on s.id = st.subscriber_id
       where st.topic_id = ? and st.status = 'confirmed' and st.subscriber_id > ? and st.subscriber_id <= ?
         and s.status = 'confirmed'`,
      [q.digestId, now, q.topicId, after, upto],
    );
    return;
  }
  if (!variants.length) return;
  await db.raw(
    `insert into deliveries (digest_id, subscriber_id, email, status, attempts, next_attempt_at, variant)
     select ?, s.id, s.email, 'queued', 0, ?, m.mask
     from subscribers s join (${readerMasks}) m on m.subscriber_id = s.id
     where s.status = 'confirmed' and m.mask in (${variants.map(() => '?').join(', ')})`,
    [q.digestId, now, q.digestId, after, upto, ...variants],
  );
}

export interface UnfinishedRecipients {
  id: string;
  topic_id: number;
  snapshot_after: number | string;
  snapshot_until: number | string;
}

/** The oldest digest still sending (or paused) whose recipients are not all written yet. */
export function findUnfinishedRecipients(db: Conn): Promise<UnfinishedRecipients | undefined> {
  return db('digests')
    .whereNotNull('snapshot_after')
    .whereIn('status', ['sending', 'paused'])
    .orderBy('created_at')
    .orderBy('id')
    .first('id', 'topic_id', 'snapshot_after', 'snapshot_until');
}

/**
 * Moves a digest's recipient cursor from `from` to `to` (null: all written) if nobody moved
 * it first: the write that makes one process, of any number, the writer of that range.
 */
export function moveRecipientCursor(db: Conn, digestId: string, from: number, to: number | null): Promise<number> {
  return db('digests').where({ id: digestId, snapshot_after: from }).update({ snapshot_after: to });
}

/** Where the trigger leaves the recipient cursor: after the first range (null: none left), until the last id. */
export function setRecipientCursor(db: Conn, digestId: string, after: number | null, until: number) {
  return db('digests').where({ id: digestId }).update({ snapshot_after: after, snapshot_until: until });
}

/** Once every range is written, the digest's recipients are the rows themselves. */
export async function settleRecipientCount(db: Conn, digestId: string): Promise<void> {
  await db('digests').where({ id: digestId }).update({ recipients: await countRecipients(db, digestId) });
}

/** The topic combinations rendered for a digest (its variants). */
export async function listRenderedVariants(db: Conn, digestId: string): Promise<number[]> {
  const rows: { topics_mask: number | string }[] = await db('digest_variants').where({ digest_id: digestId }).orderBy('topics_mask').select('topics_mask');
  return rows.map((r) => Number(r.topics_mask));
}

/** Whether a digest has variants (it covers several topics). */
export async function hasVariants(db: Conn, digestId: string): Promise<boolean> {
  return Boolean(await db('digest_variants').where({ digest_id: digestId }).first('digest_id'));
}

/** Erasure: the person's rows go with them (deliveries keep no foreign key; see the migration). */
export function deleteDeliveriesOfSubscriber(db: Conn, subscriberId: number) {
  return db('deliveries').where({ subscriber_id: subscriberId }).delete();
}

export function insertTestDeliveries(db: Conn, digestId: string, emails: string[], now: Date) {
  if (!emails.length) return Promise.resolve();
  return db('deliveries').insert(emails.map((email) => ({ digest_id: digestId, subscriber_id: null, email, status: 'queued', attempts: 0, next_attempt_at: now })));
}

export async function countRecipients(db: Conn, digestId: string): Promise<number> {
  const [{ n }] = await db('deliveries').where({ digest_id: digestId }).count({ n: '*' });
  return Number(n);
}

/**
 * Claims up to `limit` rows of digests that are sending: queued rows that are due, and rows
 * whose claim has lapsed (their process died). On PostgreSQL, SKIP LOCKED lets any number
 * of processes claim side by side without ever taking the same row.
 */
export async function claimDeliveryBatch(db: Db, workerId: string, limit: number, leaseUntil: Date, now: Date): Promise<ClaimedDelivery[]> {
  const lock = isPostgres(db) ? 'for update of d skip locked' : '';
  const result = await db.raw(
    `update deliveries
     set status = 'sending', lease_until = ?, claimed_by = ?, attempts = attempts + 1
     where id in (
       select d.id from deliveries d join digests g on g.id = d.digest_id
       where g.status = 'sending'
         and ((d.status = 'queued' and d.next_attempt_at <= ?) or (d.status = 'sending' and d.lease_until < ?))
       order by d.id
       limit ?
       ${lock}
     )
     returning id, digest_id, subscriber_id, email, attempts, variant`,
    [leaseUntil, workerId, now, now, limit],
  );
  const rows: ClaimedDelivery[] = Array.isArray(result) ? result : result.rows;
  return rows.sort((a, b) => a.id - b.id);
}

/**
 * Builds `case id when … then … end` so a batch of different values is one UPDATE.
 * PostgreSQL needs the values' type spelled out; SQLite takes them as they come.
 */
function caseById(db: Conn, rows: { id: number; value: unknown }[], type: 'text' | 'timestamptz' = 'text') {
  const cast = isPostgres(db as Db) ? `::${type}` : '';
  const sql = `case id ${rows.map(() => `when ? then ?${cast}`).join(' ')} end`;
  return db.raw(sql, rows.flatMap((r) => [r.id, r.value]) as Knex.RawBinding[]);
}

export async function markDeliveriesSent(db: Conn, rows: { id: number; response: string }[], now: Date) {
  if (!rows.length) return;
  await db('deliveries')
    .whereIn('id', rows.map((r) => r.id))
    .update({
      status: 'sent',
      sent_at: now,
      lease_until: null,
      last_error: null,
      smtp_response: caseById(db, rows.map((r) => ({ id: r.id, value: r.response.slice(0, 500) }))),
    });
}

export async function rescheduleDeliveries(db: Conn, rows: { id: number; error: string; nextAttemptAt: Date }[]) {
  if (!rows.length) return;
  await db('deliveries')
    .whereIn('id', rows.map((r) => r.id))
    .update({
      status: 'queued',
      lease_until: null,
      last_error: caseById(db, rows.map((r) => ({ id: r.id, value: r.error.slice(0, 500) }))),
      next_attempt_at: caseById(db, rows.map((r) => ({ id: r.id, value: r.nextAttemptAt })), 'timestamptz'),
    });
}

export async function failDeliveries(db: Conn, rows: { id: number; error: string }[]) {
  if (!rows.length) return;
  await db('deliveries')
    .whereIn('id', rows.map((r) => r.id))
    .update({
      status: 'failed',
      lease_until: null,
      last_error: caseById(db, rows.map((r) => ({ id: r.id, value: r.error.slice(0, 500) }))),
      smtp_response: caseById(db, rows.map((r) => ({ id: r.id, value: r.error.slice(0, 500) }))),
    });
}

/** Puts claimed rows back untouched (a paused or cancelled send), without counting an attempt. */
export async function releaseDeliveries(db: Conn, ids: number[]) {
  if (!ids.length) return;
  await db('deliveries').whereIn('id', ids).where('status', 'sending').update({ status: 'queued', lease_until: null, attempts: db.raw('attempts - 1') });
}

const noDeliveries = (): DeliveryCounts => ({ queued: 0, sending: 0, sent: 0, failed: 0 });

export async function countDeliveries(db: Conn, digestId: string): Promise<DeliveryCounts> {
  return (await countDeliveriesOfDigests(db, [digestId])).get(digestId)!;
}

/** The counts of many digests in one statement, for a page of a list. */
export async function countDeliveriesOfDigests(db: Conn, digestIds: string[]): Promise<Map<string, DeliveryCounts>> {
  const byId = new Map(digestIds.map((id) => [id, noDeliveries()]));
  if (!digestIds.length) return byId;
  const rows: { digest_id: string; status: keyof DeliveryCounts; n: number | string }[] = await db('deliveries')
    .whereIn('digest_id', digestIds)
    .groupBy('digest_id', 'status')
    .select('digest_id', 'status', db.raw('count(*) as n'));
  for (const row of rows) {
    const counts = byId.get(row.digest_id);
    if (counts && row.status in counts) counts[row.status] = Number(row.n);
  }
  return byId;
}

export function listRecentDeliveryErrors(db: Conn, digestId: string, limit = 5): Promise<{ email: string; status: string; last_error: string; attempts: number }[]> {
  return db('deliveries')
    .where({ digest_id: digestId })
    .whereNotNull('last_error')
    .orderBy('id', 'desc')
    .limit(limit)
    .select('email', 'status', 'last_error', 'attempts');
}

/**
 * Ends a send whose rows are all settled: "sent" if anyone received it, "failed" if every
 * recipient failed. Returns true when this call ended it.
 */
export async function finishDigestIfSettled(db: Conn, digestId: string, now: Date): Promise<boolean> {
  const counts = await countDeliveries(db, digestId);
  if (counts.queued + counts.sending > 0) return false;
  const status = counts.failed > 0 && counts.sent === 0 ? 'failed' : 'sent';
  const changed = await db('digests')
    .where({ id: digestId, status: 'sending' })
    // Recipients still to be written (recipients.ts) mean it is not settled, whatever the counts say.
    .whereNull('snapshot_after')
    .whereNotExists(db('deliveries').select(db.raw('1')).where('digest_id', digestId).whereIn('status', ['queued', 'sending']))
    .update({ status, finished_at: now, ...(status === 'failed' ? { status_reason: 'Every recipient failed.' } : {}) });
  return changed > 0;
}

export function updateDigestSendState(db: Conn, digestId: string, fromStatuses: string[], patch: Record<string, unknown>): Promise<number> {
  return db('digests').where('id', digestId).whereIn('status', fromStatuses).update(patch);
}

export function findDigestSendState(db: Conn, digestId: string) {
  return db('digests')
    .where({ id: digestId })
    .first('id', 'status', 'is_test', 'recipients', 'started_at', 'finished_at', 'status_reason', 'subject', 'topic_id', 'created_at');
}

export function listDigestStatuses(db: Conn, digestIds: string[]): Promise<{ id: string; status: string }[]> {
  if (!digestIds.length) return Promise.resolve([]);
  return db('digests').whereIn('id', digestIds).select('id', 'status');
}

export async function requeueFailedDeliveries(db: Conn, digestId: string, now: Date): Promise<number> {
  return db('deliveries').where({ digest_id: digestId, status: 'failed' }).update({ status: 'queued', next_attempt_at: now, last_error: null, lease_until: null });
}

/** The subscribers among a digest's failed rows, as a subquery (for the subscribers feature's own writes). */
export function failedSubscriberIds(db: Conn, digestId: string) {
  return db('deliveries').select('subscriber_id').where({ digest_id: digestId, status: 'failed' }).whereNotNull('subscriber_id');
}

/** The trigger's last step: the digest's recipients are fixed and workers may take its rows. */
export function startDigestSend(db: Conn, digestId: string, recipients: number, now: Date) {
  return db('digests').where({ id: digestId }).update({ status: 'sending', started_at: now, recipients });
}

/**
 * Reserves `count` send slots on the shared clock and returns when the first may go. The
 * row lock (PostgreSQL) or the single writer (SQLite) makes each reservation atomic across
 * processes, so SEND_RATE holds for the sender as a whole.
 */
export async function reserveSendSlots(db: Db, count: number, perSecond: number, now: Date): Promise<Date> {
  return db.transaction(async (trx) => {
    const query = trx('sender_clock').where({ name: 'digest' }).first('next_slot_at');
    if (isPostgres(db)) query.forUpdate();
    const row = await query;
    const previous = row ? new Date(row.next_slot_at instanceof Date ? row.next_slot_at.getTime() : Number(row.next_slot_at)) : now;
    const start = previous > now ? previous : now;
    const next = new Date(start.getTime() + (count * 1000) / perSecond);
    if (row) await trx('sender_clock').where({ name: 'digest' }).update({ next_slot_at: next });
    else await trx('sender_clock').insert({ name: 'digest', next_slot_at: next }).onConflict('name').merge();
    return start;
  });
}

export interface SendInProgressRow {
  id: string;
  subject: string;
  status: string;
  is_test: boolean | number;
  recipients: number;
  started_at: unknown;
  topic_name: string;
  sent: number | string;
}

/** Sends under way or paused, oldest first, each with how many of its messages went out. */
export function listSendsInProgress(db: Conn): Promise<SendInProgressRow[]> {
  return db('digests')
    .join('topics', 'topics.id', 'digests.topic_id')
    .whereIn('digests.status', ['sending', 'paused'])
    .orderBy('digests.started_at')
    .orderBy('digests.id')
    .select(
      'digests.id', 'digests.subject', 'digests.status', 'digests.is_test', 'digests.recipients', 'digests.started_at', 'topics.name as topic_name',
      db('deliveries').count('*').whereRaw('deliveries.digest_id = digests.id').where('deliveries.status', 'sent').as('sent'),
    );
}
