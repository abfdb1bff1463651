import { digestFeedback, recordReports } from '../src/bounces/service';
import { digestMessageId } from '../src/delivery/mime';
import { benchDatabase } from './database';

/**
 * What bounce reports cost: the after-send counts GET /api/admin/digests/:id adds (the
 * console's send page reads them every second), over a digest of N recipients (default
 * 100,000) of whom 5% have since unsubscribed, and recording webhook events one by one.
 */
export async function benchDigestFeedback(recipients = 100_000) {
  const bench = await benchDatabase('feedback');
  const { db } = bench;
  const secret = 'bench-secret-0123456789abcdef';
  const digestId = 'BenchDigest00000';
  const startedAt = new Date(Date.now() - 3_600_000);
  const now = new Date();
  try {
    for (let i = 0; i < recipients; i += 1000) {
      const chunk = Array.from({ length: Math.min(1000, recipients - i) }, (_, j) => i + j);
      await db.batchInsert(
        'subscribers',
        chunk.map((n) => ({
          email: `reader${n}@example.com`,
          status: n % 20 === 0 ? 'unsubscribed' : 'confirmed',
          token_nonce: 'n',
          consent_at: now,
          consent_version: 'v1',
          consent_source: 'import',
          unsubscribed_at: n % 20 === 0 ? now : null,
          created_at: now,
          updated_at: now,
        })),
        500,
      );
    }
    await db.raw(
      `insert into deliveries (digest_id, subscriber_id, email, status, attempts, next_attempt_at, sent_at)
       select ?, id, email, 'sent', 1, ?, ? from subscribers`,
      [digestId, now, now],
    );

    const events = 2000;
    const reports = Array.from({ length: events }, (_, n) => {
      const email = `reader${n * 7}@example.com`;
      return { providerEventId: `bench-${n}`, kind: n % 10 === 0 ? ('complaint' as const) : ('soft_bounce' as const), email, messageId: `<${digestMessageId(secret, digestId, email, 'localhost')}>`, occurredAt: now };
    });
    let started = performance.now();
    for (const report of reports) await recordReports({ db, config: { secret } }, 'generic', [report]);
    const perEventMs = (performance.now() - started) / events;

    await digestFeedback(db, digestId, recipients, startedAt); // warm up
    const runs: number[] = [];
    let counts = await digestFeedback(db, digestId, recipients, startedAt);
    for (let i = 0; i < 15; i++) {
      started = performance.now();
      counts = await digestFeedback(db, digestId, recipients, startedAt);
      runs.push(performance.now() - started);
    }
    runs.sort((a, b) => a - b);
    console.log(
      `bounces (${bench.engine}): recording one webhook event ${perEventMs.toFixed(2)} ms (${Math.round(1000 / perEventMs)} events/s); ` +
        `a ${recipients.toLocaleString('en-GB')}-recipient digest's counts ${runs[Math.floor(runs.length / 2)].toFixed(1)} ms (median of 15) ${JSON.stringify(counts.counts)}`,
    );
  } finally {
    await bench.drop();
  }
}
