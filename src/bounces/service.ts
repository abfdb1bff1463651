import type { Config } from '../config';
import { toDate, type Db } from '../db';
import { findDeliveryByMessageId } from '../delivery/message-lookup';
import { lockSubscriber, markSubscriberReported } from '../subscribers/suppress';
import { countDigestEvents, countSoftBouncesBetween, countUnsubscribedSince, insertDeliveryEvent } from './queries';
import { complaintWarning, consequenceOf, SOFT_BOUNCE_WINDOW_MS, type BounceReport, type Provider } from './rules';

/**
 * Recording bounce and complaint reports and applying the rules. A report changes a
 * subscriber only when it is new (a replay of the same provider event is stored once) and
 * its Message-ID verifiably names one of our deliveries to that address.
 */
export interface BounceDeps {
  db: Db;
  config: Pick<Config, 'secret'>;
}

export interface RecordResult {
  received: number;
  recorded: number;
  duplicates: number;
  unmatched: number;
}

export async function recordReports(deps: BounceDeps, provider: Provider, reports: BounceReport[], now = new Date()): Promise<RecordResult> {
  const result: RecordResult = { received: reports.length, recorded: 0, duplicates: 0, unmatched: 0 };
  for (const report of reports) {
    const match = report.messageId ? await findDeliveryByMessageId(deps.db, deps.config.secret, report.messageId, report.email) : null;
    const fresh = await deps.db.transaction(async (trx) => {
      // Reports about one person are applied one at a time, so three soft bounces arriving
      // together still see each other.
      if (match?.subscriberId) await lockSubscriber(trx, match.subscriberId);
      const inserted = await insertDeliveryEvent(trx, {
        provider,
        provider_event_id: report.providerEventId.slice(0, 200),
        kind: report.kind,
        delivery_id: match?.deliveryId ?? null,
        digest_id: match?.digestId ?? null,
        subscriber_id: match?.subscriberId ?? null,
        occurred_at: report.occurredAt,
        received_at: now,
      });
      if (!inserted || !match?.subscriberId) return inserted;
      const soft =
        report.kind === 'soft_bounce'
          ? await countSoftBouncesBetween(trx, match.subscriberId, new Date(report.occurredAt.getTime() - SOFT_BOUNCE_WINDOW_MS), report.occurredAt)
          : 0;
      const consequence = consequenceOf(report.kind, soft);
      if (consequence) await markSubscriberReported(trx, match.subscriberId, consequence, now);
      return true;
    });
    if (!fresh) result.duplicates++;
    else {
      result.recorded++;
      if (!match) result.unmatched++;
    }
  }
  return result;
}

/**
 * A digest's after-send counts for GET /api/admin/digests/:id. "unsubscribed" counts its
 * recipients who have unsubscribed (by link or by complaint) since the digest started going
 * out, and are still unsubscribed.
 */
export async function digestFeedback(db: Db, digestId: string, sent: number, startedAt: unknown) {
  const since = toDate(startedAt);
  const [events, unsubscribed] = await Promise.all([countDigestEvents(db, digestId), since ? countUnsubscribedSince(db, digestId, since) : 0]);
  return { counts: { ...events, unsubscribed }, warning: complaintWarning(events.complaints, sent) };
}
