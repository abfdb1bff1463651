import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OPERATOR } from '../src/audit/schema';
import { createProgramme } from '../src/awards/service';
import { createDb, migrateLatest } from '../src/db';
import { assignJudges, createRound, leaderboard } from '../src/judging/service';
import { addStaff } from '../src/staff/service';

/**
 * The leaderboard of a round of N entries (default 5,000) × 4 judges × 6 criteria, every
 * scorecard submitted (120,000 scores), on a fresh SQLite file: prints the time of one
 * leaderboard query (the fastest and the median of 7 runs, after one warm-up).
 */
export async function benchLeaderboard(n = 5_000) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'masthead-bench-'));
  const db = createDb({ databaseUrl: null, dataDir });
  await migrateLatest(db);
  const now = new Date();
  const categories = Array.from({ length: 10 }, (_, i) => ({ slug: `category-${i}`, name: `Category ${i}`, description: 'Bench.', region: null }));
  const programme = await createProgramme(db, {
    slug: 'bench-awards', code: 'BENCH', name: 'Bench Awards', description: 'Bench.', timeZone: 'Europe/London',
    opensAt: new Date(now.getTime() - 86_400_000).toISOString(), closesAt: new Date(now.getTime() + 86_400_000).toISOString(),
    statementMinWords: 0, statementMaxWords: 800, categories,
  });
  const entries = Array.from({ length: n }, (_, i) => ({
    programme_id: programme.row.id, category_id: programme.categories[i % categories.length].id, reference: `BENCH-${String(i + 1).padStart(5, '0')}`,
    status: 'submitted', organisation: `Bench Bank ${i}`, organisation_key: `bench bank ${i}`, country: 'GB', website: 'https://bench.example',
    contact_name: 'Bench Person', job_title: 'Tester', contact_email: `entrant${i}@bench.example`, statement: 'Bench statement.', source: 'api',
    receipt_nonce: 'bench', consent_at: now, created_at: now, updated_at: now,
  }));
  await db.batchInsert('entries', entries, 500);

  const judges = ['a', 'b', 'c', 'd'].map((x) => `judge-${x}@bench.example`);
  for (const email of judges) await addStaff({ db, config: { secret: 'bench-secret-0123456789abcdef', baseUrl: 'http://localhost' } }, { email, role: 'judge' }, OPERATOR);
  const round = await createRound(db, programme.row.slug, {
    name: 'Bench round', opensAt: now.toISOString(), closesAt: new Date(now.getTime() + 86_400_000).toISOString(), blind: false, over: 'entries',
    criteria: Array.from({ length: 6 }, (_, i) => ({ name: `Criterion ${i}`, weight: i + 1, min: 0, max: 10 })),
  });
  const { assigned } = await assignJudges(db, round.id, { judges, judgesPerEntry: 4 });
  const cards: { id: number }[] = await db('judging_scorecards').where({ round_id: round.id }).select('id');
  const scores = cards.flatMap((card, i) => round.criteria.map((c, k) => ({ scorecard_id: card.id, criterion_id: c.id, value: (i * 7 + k * 3) % 11 })));
  await db.batchInsert('judging_scores', scores, 500);
  await db('judging_scorecards').where({ round_id: round.id }).update({ status: 'submitted', submitted_at: now });

  await leaderboard(db, round.id); // warm-up
  const times: number[] = [];
  let items = 0;
  for (let run = 0; run < 7; run++) {
    const started = performance.now();
    items = (await leaderboard(db, round.id)).length;
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  console.log(
    `leaderboard: ${items} entries × 4 judges × 6 criteria (${assigned} scorecards, ${scores.length} scores) on SQLite: ` +
      `${times[0].toFixed(0)} ms fastest, ${times[3].toFixed(0)} ms median per query`,
  );
  await db.destroy();
  rmSync(dataDir, { recursive: true, force: true });
}
