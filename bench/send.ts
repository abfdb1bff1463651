import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { recipientFor, loadDigest } from '../src/digests/service';
import { importSubscribers } from '../src/subscribers/import';
import { benchDatabase } from './database';
import { BENCH_SECRET, benchApi as api, freePort, postBenchArticles, peakRssMb, currentRssMb, startBenchServer } from './server-process';

/**
 * End-to-end digest sending. Creates N confirmed subscribers (default 20,000), starts an
 * SMTP sink in its own process and Masthead as `npm start` runs it, triggers a digest of
 * 10 articles through the HTTP API and waits for the end. Then the reference: plain
 * Nodemailer sending the same personalised messages to the same sink over the same number
 * of connections, building each message itself. Prints both rates, their ratio, the
 * trigger's answer time and the sending process's peak RSS.
 */
const root = path.join(import.meta.dirname, '..');
const CONCURRENCY = Number(process.env.SEND_CONCURRENCY || 4);
export { freePort };

function ask<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send({ type });
  });
}

export async function startSink() {
  const child = fork(path.join(root, 'bench/smtp-sink.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (m) => resolve(m as { port: number })));
  return { child, url: `smtp://127.0.0.1:${port}`, count: () => ask<{ messages: number }>(child, 'count').then((m) => m.messages), reset: () => ask(child, 'reset') };
}

/**
 * `topicCount` > 1 (`--topics K`): a digest of K topics, its readers spread evenly over every
 * combination of them (one email each, a section per topic they follow), about as many
 * articles in all as the single-topic digest.
 */
export async function benchSend(n = 20_000, topicCount = 1) {
  const { db, dataDir, databaseUrl, engine, drop } = await benchDatabase('send');
  const topics = ['finance', 'banking', 'insurance', 'fintech', 'investing'].slice(0, Math.max(1, topicCount));
  const combinations = 2 ** topics.length - 1;
  const topicsOf = (i: number) => topics.filter((_, bit) => ((i % combinations) + 1) & (2 ** bit)).join(';');
  const rows = Array.from({ length: n }, (_, i) => ({ line: i + 2, email: `reader${i}@bench.example`, name: `Reader ${i}`, topics: topicsOf(i) }));
  await importSubscribers(db, rows, { status: 'confirmed', consentNote: 'benchmark' });

  const sink = await startSink();
  const server = await startBenchServer({ dataDir, databaseUrl, env: { SMTP_URL: sink.url, SEND_CONCURRENCY: String(CONCURRENCY) } });
  const { base } = server;

  try {
    const perTopic = Math.ceil(10 / topics.length);
    for (const topic of topics) await postBenchArticles(base, topic, perTopic);

    const startPeak = currentRssMb(server.pid);
    const triggerStart = performance.now();
    const digest = await api(base, 'POST', '/api/admin/digests', topics.length > 1 ? { topics, limit: perTopic } : { topic: 'finance', limit: 10 });
    const triggerMs = performance.now() - triggerStart;
    let status;
    do {
      await new Promise((r) => setTimeout(r, 100));
      status = await api(base, 'GET', `/api/admin/digests/${digest.id}`);
    } while (status.status === 'sending');
    const seconds = (performance.now() - triggerStart) / 1000;
    const received = await sink.count();
    const rss = peakRssMb(server.pid);
    if (status.counts.sent !== n || received !== n) throw new Error(`expected ${n} messages, sent ${status.counts.sent}, sink got ${received}`);
    const ours = n / seconds;

    if (process.env.BENCH_NO_REFERENCE) {
      console.log(`send: ${n} recipients on ${engine}, ${topics.length} topic(s): Masthead ${Math.round(ours)} msg/s end to end (${seconds.toFixed(1)} s); trigger answered in ${Math.round(triggerMs)} ms; sending process peak RSS ${rss} MB (no reference run)`);
      return;
    }
    // The reference: plain Nodemailer, same messages, same sink, same connections.
    await sink.reset();
    const stored = (await loadDigest(db, digest.id))!;
    // The reference's rate settles within a few thousand messages; at most 20,000 keep a 100,000 run short.
    // BENCH_REFERENCE_N shortens the reference while profiling (the ratio needs a few thousand).
    const people = await db('subscribers').select('id', 'email', 'name', 'token_nonce').orderBy('id').limit(Math.min(n, Number(process.env.BENCH_REFERENCE_N) || 20_000));
    const transport = nodemailer.createTransport({ url: sink.url, pool: true, maxConnections: CONCURRENCY, maxMessages: Infinity } as never);
    const config = { baseUrl: 'https://news.bench.example', secret: BENCH_SECRET, orgName: 'The Finance Ledger', postalAddress: 'Bench' };
    const referenceStart = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY * 4 }, async () => {
        while (next < people.length) {
          const person = people[next++];
          const recipient = recipientFor({ config }, person);
          const { html, text } = stored.personalise(recipient);
          await transport.sendMail({
            from: 'Masthead <newsletter@localhost>',
            to: person.email,
            subject: stored.subject,
            html,
            text,
            list: { unsubscribe: { url: recipient.unsubscribeUrl }, id: { url: 'finance.newsletter.localhost', comment: 'Finance' } },
            headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
          });
        }
      }),
    );
    const referenceSeconds = (performance.now() - referenceStart) / 1000;
    transport.close();
    const reference = people.length / referenceSeconds;

    console.log(
      `send: ${n} recipients on ${engine}, ${topics.length > 1 ? `${topics.length} topics in ${combinations} combinations, ` : ''}SEND_CONCURRENCY=${CONCURRENCY}: ` +
        `Masthead ${Math.round(ours)} msg/s end to end (${seconds.toFixed(1)} s), ` +
        `plain Nodemailer ${Math.round(reference)} msg/s (${people.length} in ${referenceSeconds.toFixed(1)} s), ratio ${(ours / reference).toFixed(2)}x; ` +
        `trigger answered in ${Math.round(triggerMs)} ms; sending process peak RSS ${rss} MB (${startPeak} MB before the trigger)`,
    );
  } finally {
    await server.stop();
    sink.child.disconnect();
    await drop();
  }
}
