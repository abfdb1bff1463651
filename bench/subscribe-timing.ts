import { spawn } from 'node:child_process';
import path from 'node:path';
import { importSubscribers } from '../src/subscribers/import';
import { benchDatabase } from './database';
import { freePort, startSink } from './send';

/**
 * Can the answer's timing tell a known address from a new one? Starts Masthead as `npm
 * start` runs it (its mail sender beside it, sending to an SMTP sink in its own process),
 * then, as a client from outside, posts `n` subscriptions per route, JSON and form, each to
 * a new, a pending or a confirmed address at random. Prints the median and 90th percentile
 * of the answer time per kind of address, and the gap between known and new medians.
 * BENCH_DATABASE_URL=postgres://… runs it on PostgreSQL.
 */
const root = path.join(import.meta.dirname, '..');
const KNOWN = 500;

export async function benchSubscribeTiming(n = 3000) {
  const { db, dataDir, databaseUrl, engine, drop } = await benchDatabase('timing');
  const person = (kind: string, i: number) => ({ line: i + 2, email: `${kind}${i}@bench.example`, name: `Reader ${i}`, topics: 'finance' });
  await importSubscribers(db, Array.from({ length: KNOWN }, (_, i) => person('confirmed', i)), { status: 'confirmed', consentNote: 'benchmark' });
  await importSubscribers(db, Array.from({ length: KNOWN }, (_, i) => person('pending', i)), { status: 'pending', consentNote: null, emailsApproved: true });

  const sink = await startSink();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(process.execPath, ['src/cli/start.mjs', 'server'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      DATA_DIR: dataDir,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      SMTP_URL: sink.url,
      ADMIN_TOKEN: 'bench-admin-token-0123456789',
      SECRET: 'bench-secret-0123456789abcdef',
      PUBLIC_RATE_LIMIT: '0',
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => server.stdout!.on('data', (chunk) => String(chunk).includes('listening') && resolve()));

  // The form needs its CSRF cookie and token, as a browser would have them.
  const signup = await fetch(`${base}/newsletter`);
  const cookie = signup.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await signup.text())![1];

  const routes = {
    json: (email: string) =>
      fetch(`${base}/api/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, consent: true }) }),
    form: (email: string) =>
      fetch(`${base}/newsletter/subscribe`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({ _csrf: csrf, email, consent: 'on' }).toString(),
      }),
  };
  const kinds = ['new', 'pending', 'confirmed'] as const;
  let fresh = 0;
  const addressOf = (kind: (typeof kinds)[number]) =>
    kind === 'new' ? `new${fresh++}@bench.example` : `${kind}${Math.floor(Math.random() * KNOWN)}@bench.example`;

  for (const [route, post] of Object.entries(routes)) {
    const times: Record<string, number[]> = { new: [], pending: [], confirmed: [] };
    for (let i = -300; i < n; i++) {
      const kind = kinds[Math.floor(Math.random() * kinds.length)];
      const email = addressOf(kind);
      const started = performance.now();
      const response = await post(email);
      await response.arrayBuffer();
      const ms = performance.now() - started;
      if (response.status !== (route === 'json' ? 202 : 303)) throw new Error(`${route} ${email}: ${response.status}`);
      if (i >= 0) times[kind].push(ms); // the first 300 warm the server up
    }
    const median = (list: number[]) => quantile(list, 0.5);
    const figures = kinds.map((kind) => `${kind} ${median(times[kind]).toFixed(2)}/${quantile(times[kind], 0.9).toFixed(2)} ms (${times[kind].length})`);
    const known = [...times.pending, ...times.confirmed];
    const gap = median(known) - median(times.new);
    console.log(
      `subscribe timing, ${route} on ${engine}: median/p90 ${figures.join(', ')}; known minus new median ${gap >= 0 ? '+' : ''}${gap.toFixed(2)} ms`,
    );
  }

  server.kill();
  await new Promise((resolve) => server.once('exit', resolve));
  sink.child.kill();
  await drop();
}

function quantile(list: number[], q: number): number {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
}
