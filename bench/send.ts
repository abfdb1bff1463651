import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { recipientFor, loadDigest } from '../src/digests/service';
import { importSubscribers } from '../src/subscribers/import';
import { benchDatabase } from './database';

/**
 * End-to-end digest sending. Creates N confirmed subscribers (default 20,000), starts an
 * SMTP sink in its own process and Masthead as `npm start` runs it, triggers a digest of
 * 10 articles through the HTTP API and waits for the end. Then the reference: plain
 * Nodemailer sending the same personalised messages to the same sink over the same number
 * of connections, building each message itself. Prints both rates, their ratio, the
 * trigger's answer time and the sending process's peak RSS.
 */
const root = path.join(import.meta.dirname, '..');
const ADMIN = 'bench-admin-token-0123456789';
const SECRET = 'bench-secret-0123456789abcdef';
const CONCURRENCY = Number(process.env.SEND_CONCURRENCY || 4);

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

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

const peakRssMb = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
};

async function api(base: string, method: string, route: string, body?: unknown) {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (response.status >= 300) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(json)}`);
  return json;
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
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // As `npm start` runs it (BENCH_PROFILE=dir also writes a CPU profile there).
  const server = spawn(process.execPath, [...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_PROFILE] : []), '--max-semi-space-size=4', 'src/cli/start.mjs', 'server'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      // As deployed; it also keeps the server from making (and mailing) a first admin into the sink's count.
      NODE_ENV: 'production',
      ...(process.env.SERVER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.SERVER_NODE_OPTIONS } : {}),
      PORT: String(port),
      DATA_DIR: dataDir,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      SMTP_URL: sink.url,
      SEND_CONCURRENCY: String(CONCURRENCY),
      ADMIN_TOKEN: ADMIN,
      SECRET,
      BASE_URL: 'https://news.bench.example',
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => server.stdout!.on('data', (chunk) => String(chunk).includes('listening') && resolve()));

  try {
    const perTopic = Math.ceil(10 / topics.length);
    for (const topic of topics) {
      for (let i = 0; i < perTopic; i++) {
        await api(base, 'POST', '/api/admin/articles', {
          title: `Bench story ${i + 1}: what the week's rate decisions mean for lenders`,
          url: `https://news.bench.example/${topic}/bench-${i + 1}`,
          summary: 'Central banks held their nerve, lenders repriced fixed deals and savers finally saw returns beat inflation. Here is what changed and why it matters.',
          topic,
          publishedAt: new Date(Date.now() - i * 60_000).toISOString(),
          imageUrl: i === 0 ? 'https://news.bench.example/images/lead.jpg' : undefined,
          author: 'Bench Desk',
        });
      }
    }

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
    const rss = peakRssMb(server.pid!);
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
    const people = await db('subscribers').select('id', 'email', 'name', 'token_nonce').orderBy('id').limit(Math.min(n, 20_000));
    const transport = nodemailer.createTransport({ url: sink.url, pool: true, maxConnections: CONCURRENCY, maxMessages: Infinity } as never);
    const config = { baseUrl: 'https://news.bench.example', secret: SECRET, orgName: 'The Finance Ledger', postalAddress: 'Bench' };
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
        `trigger answered in ${Math.round(triggerMs)} ms; sending process peak RSS ${rss} MB`,
    );
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    sink.child.disconnect();
    await drop();
  }
}
