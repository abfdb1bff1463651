import type { Db } from '../db';
import type { Knex } from 'knex';
import { listRecipientDetails, markSubscribersBounced, restoreBouncedSubscribers, type SubscriberIds } from './queries';

/**
 * A subscriber's bounce state, as the delivery pipeline changes it: the subscribers feature
 * owns the table, senders call these.
 */
type Conn = Db | Knex.Transaction;

/** Addresses a mail server refused for good: they receive no more digests. */
export const markBounced = (db: Conn, ids: number[], now: Date) => markSubscribersBounced(db, ids, now);

/** An admin's "retry failed" judges the failures not the addresses' fault: bounced ones become confirmed again. */
export const restoreBounced = (db: Conn, ids: SubscriberIds, now: Date) => restoreBouncedSubscribers(db, ids, now);

/** The name and link nonce of each recipient of a batch. */
export const recipientDetails = (db: Conn, ids: number[]) => listRecipientDetails(db, ids);
