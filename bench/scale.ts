import { benchDatabase } from './database';
import { startSink } from './send';
import { BENCH_ADMIN_TOKEN, benchApi, peakRssMb, postBenchArticles, resetPeakRss, startBenchServer } from './server-process';

/**
 * Masthead with a large list on PostgreSQL (default 1,000,000 subscribers). Against a
 * server in its own process it measures: the import of N confirmed subscribers through
 * POST /api/admin/subscribers/import in parts within the per-request cap; the answer time
 * of triggering a digest to all of them (cancelled straight after, so nothing is sent in
 * bulk); the admin list with filters (median of several requests); and the CSV export of
 * all N, streamed, with the server's peak RSS during it. Needs PostgreSQL
 * (BENCH_DATABASE_URL, DATABASE_URL or TEST_DATABASE_URL); runs in a fresh schema it drops.
 */
const PART = 100_000;
const REPEATS = 7;
const TOPICS = ['finance', 'banking', 'fintech'];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (value: number) => `${Math.round(value)} ms`;

/** Subscriber i: every one reads finance; one in three also banking or fintech. */
function csvPart(from: number, to: number) {
  const lines = ['email,name,topics'];
  for (let i = from; i < to; i++) lines.push(`reader${i}@scale.example,Reader ${i},finance;${TOPICS[i % 3]}`);
  return lines.join('\n');
}

async function timeMedian(base: string, route: string) {
  const times: number[] = [];
  let total = 0;
  for (let i = 0; i < REPEATS; i++) {
    const started = performance.now();
    const body = await benchApi(base, 'GET', route);
    times.push(performance.now() - started);
    total = body.total;
  }
  return { ms: median(times), total };
}

/** Reads the whole export as it arrives, counting lines; never holds it. */
async function exportCsv(base: string) {
  const response = await fetch(`${base}/api/admin/subscribers`, { headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, accept: 'text/csv' } });
  if (response.status !== 200 || !response.body) throw new Error(`export: ${response.status}`);
  let lines = 0;
  const decoder = new TextDecoder();
  for await (const chunk of response.body) {
    const text = decoder.decode(chunk, { stream: true });
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  }
  return lines - 1; // the header
}

export async function benchScale(n = 1_000_000) {
  const url = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || process.env.TEST_DATABASE_URL;
  if (!url?.startsWith('postgres')) {
    console.log('scale: skipped (needs PostgreSQL: set BENCH_DATABASE_URL, DATABASE_URL or TEST_DATABASE_URL to postgres://…)');
    return;
  }
  const { db, dataDir, databaseUrl, drop } = await benchDatabase('scale', url);
  const sink = await startSink();
  const start = () => startBenchServer({ dataDir, databaseUrl, env: { SMTP_URL: sink.url } });
  let server = await start();
  try {
    let { base } = server;
    const importStart = performance.now();
    for (let from = 0; from < n; from += PART) {
      const to = Math.min(n, from + PART);
      const result = await benchApi(base, 'POST', '/api/admin/subscribers/import?status=confirmed&consentNote=scale%20benchmark', csvPart(from, to), 'text/csv');
      if (result.added !== to - from) throw new Error(`import part ${from}: added ${result.added}`);
    }
    const importSeconds = (performance.now() - importStart) / 1000;
    console.log(`scale: ${n} subscribers on PostgreSQL`);
    console.log(`  import: ${importSeconds.toFixed(1)} s in parts of ${PART} (${Math.round(n / importSeconds)} rows/s), server peak RSS ${peakRssMb(server.pid)} MB`);
    // What autovacuum does soon after a bulk load, done now so the figures below don't depend on its timing.
    await db.raw('vacuum analyze subscribers, subscriber_topics');
    // A fresh server for the rest, so its memory figures are not the import's.
    await server.stop();
    server = await start();
    ({ base } = server);

    await postBenchArticles(base, 'finance', 10);
    const triggerStart = performance.now();
    const digest = await benchApi(base, 'POST', '/api/admin/digests', { topic: 'finance', limit: 10 });
    const triggerMs = performance.now() - triggerStart;
    await benchApi(base, 'POST', `/api/admin/digests/${digest.id}/cancel`);
    if (digest.recipients !== n) throw new Error(`digest has ${digest.recipients} recipients, expected ${n}`);
    console.log(`  trigger (${digest.recipients} recipients counted, the first range written): ${ms(triggerMs)} (goal < 3 s)`);

    const last = n - 1;
    const lists = [
      '?status=confirmed&topic=banking',
      `?status=confirmed&topic=banking&page=${Math.floor(n / 3 / 50)}`,
      '?topic=banking',
      '?status=confirmed',
      `?q=reader${last}@`,
      '?q=nobody-matches-this',
    ];
    for (const query of lists) {
      const { ms: took, total } = await timeMedian(base, `/api/admin/subscribers${query}`);
      console.log(`  list ${query}: ${ms(took)} median of ${REPEATS}, total ${total} (goal < 100 ms)`);
    }

    const before = peakRssMb(server.pid);
    resetPeakRss(server.pid);
    const baseline = peakRssMb(server.pid);
    const exportStart = performance.now();
    const rows = await exportCsv(base);
    const exportSeconds = (performance.now() - exportStart) / 1000;
    if (rows !== n) throw new Error(`export has ${rows} rows, expected ${n}`);
    console.log(`  CSV export of ${rows} rows: ${exportSeconds.toFixed(1)} s, server peak RSS ${peakRssMb(server.pid)} MB during it (goal < 200 MB; ${baseline} MB at its start, ${before} MB peak before it)`);
  } finally {
    await server.stop();
    sink.child.disconnect();
    await drop();
  }
}
