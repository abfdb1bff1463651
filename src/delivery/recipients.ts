import type { Knex } from 'knex';
import type { Db } from '../db';
import {
  countRecipientsByVariant,
  finishDigestIfSettled,
  findUnfinishedRecipients,
  hasVariants,
  insertRecipientRange,
  listRenderedVariants,
  maxSubscriberId,
  moveRecipientCursor,
  setRecipientCursor,
  settleRecipientCount,
  subscriberRangeEnd,
  type RecipientQuery,
} from './queries';

/**
 * A digest's recipients, written in ranges of subscriber ids. Writing a million rows takes
 * seconds, counting them a fraction of that: the trigger counts (so its answer names the
 * number), writes the first range and answers; the senders write the rest, one range per
 * pass, well ahead of sending. Recipients are the confirmed readers with ids up to the
 * highest one at the trigger; someone who leaves before their range is written is not sent.
 */

/** Subscriber ids per range: one range is a short statement even on a loaded machine. */
export const RECIPIENT_RANGE = 20_000;

export interface FixedRecipients {
  /** Recipients counted at the trigger (the answer's `recipients`). */
  recipients: number;
  /** The topic combinations present, each to be rendered once (sectioned digests only). */
  variants: number[];
}

/**
 * At the trigger, inside its transaction: counts the recipients by variant, writes the
 * first range and leaves the cursor for the rest. `variants` are what the caller renders.
 */
export async function fixRecipients(trx: Knex.Transaction, q: RecipientQuery, now: Date, range = RECIPIENT_RANGE): Promise<FixedRecipients> {
  const until = await maxSubscriberId(trx);
  const counts = await countRecipientsByVariant(trx, q, until);
  const recipients = counts.reduce((sum, c) => sum + c.n, 0);
  const variants = counts.flatMap((c) => (c.variant !== null && c.n > 0 ? [c.variant] : []));
  if (!recipients) return { recipients, variants };
  const upto = await subscriberRangeEnd(trx, 0, until, range);
  await insertRecipientRange(trx, q, 0, upto, variants, now);
  await setRecipientCursor(trx, q.digestId, upto < until ? upto : null, until);
  return { recipients, variants };
}

/**
 * Writes the next range of the oldest digest whose recipients are unfinished. The cursor's
 * move and the range commit together, and only the process whose move matched writes it,
 * so with several senders (or after a crash) every range is written exactly once. Returns
 * whether there was anything to do.
 */
export async function writeNextRecipientRange(db: Db, now: Date, range = RECIPIENT_RANGE): Promise<boolean> {
  const digest = await findUnfinishedRecipients(db);
  if (!digest) return false;
  const after = Number(digest.snapshot_after);
  const until = Number(digest.snapshot_until);
  const done = await db.transaction(async (trx) => {
    const upto = await subscriberRangeEnd(trx, after, until, range);
    const last = upto >= until;
    // First write of the transaction: on SQLite it takes the write lock, on PostgreSQL the row's.
    if (!(await moveRecipientCursor(trx, digest.id, after, last ? null : upto))) return false;
    const sectioned = await hasVariants(trx, digest.id);
    const q: RecipientQuery = { digestId: digest.id, topicId: digest.topic_id, sectioned };
    await insertRecipientRange(trx, q, after, upto, sectioned ? await listRenderedVariants(trx, digest.id) : [], now);
    if (last) await settleRecipientCount(trx, digest.id);
    return last;
  });
  // The last range may have added no one, with every earlier row already sent.
  if (done) await finishDigestIfSettled(db, digest.id, now);
  return true;
}
