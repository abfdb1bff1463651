import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

/**
 * Masthead as `npm start` runs it, in its own process, so what a benchmark reads from
 * /proc (peak RSS) is the server's alone. Shared by the send and scale benchmarks.
 */
const root = path.join(import.meta.dirname, '..');
export const BENCH_ADMIN_TOKEN = 'bench-admin-token-0123456789';
export const BENCH_SECRET = 'bench-secret-0123456789abcdef';

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** The process's peak resident set since it started (or since resetPeakRss), in MB. */
export const peakRssMb = (pid: number) => rssField(pid, 'VmHWM');

/** The process's resident set now, in MB. */
export const currentRssMb = (pid: number) => rssField(pid, 'VmRSS');

function rssField(pid: number, field: 'VmHWM' | 'VmRSS') {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/** Starts the peak over from the current RSS (Linux: "5" to clear_refs), so one phase is measured alone. */
export const resetPeakRss = (pid: number) => writeFileSync(`/proc/${pid}/clear_refs`, '5');

export async function startBenchServer(options: { dataDir: string; databaseUrl: string | null; env?: Record<string, string> }) {
  const port = await freePort();
  // As `npm start` runs it (the same V8 flags as package.json). BENCH_PROFILE=dir also writes a CPU
  // profile there; BENCH_NODE_FLAGS adds flags NODE_OPTIONS refuses (e.g. "--heap-prof --trace-gc"),
  // whose output goes to BENCH_SERVER_LOG.
  const flags = [
    ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_PROFILE] : []),
    ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
  ];
  const server: ChildProcess = spawn(
    process.execPath,
    [...flags, '--max-semi-space-size=4', '--heap-growing-percent=25', 'src/cli/start.mjs', 'server'],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        // As deployed; it also keeps the server from making (and mailing) a first admin.
        NODE_ENV: 'production',
        ...(process.env.SERVER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.SERVER_NODE_OPTIONS } : {}),
        PORT: String(port),
        DATA_DIR: options.dataDir,
        ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
        ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
        SECRET: BENCH_SECRET,
        BASE_URL: 'https://news.bench.example',
        LOG_LEVEL: 'error',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  if (process.env.BENCH_SERVER_LOG) server.stdout!.pipe(createWriteStream(process.env.BENCH_SERVER_LOG));
  await new Promise<void>((resolve) => server.stdout!.on('data', (chunk) => String(chunk).includes('listening') && resolve()));
  return {
    pid: server.pid!,
    base: `http://127.0.0.1:${port}`,
    async stop() {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    },
  };
}

/** One admin API call with the bench's bearer token; anything but 2xx throws. */
export async function benchApi(base: string, method: string, route: string, body?: unknown, contentType = 'application/json') {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, 'content-type': contentType },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const json = await response.json();
  if (response.status >= 300) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(json).slice(0, 300)}`);
  return json;
}

/** `count` articles of the topic, newest first, through the admin API: what a digest is made of. */
export async function postBenchArticles(base: string, topic: string, count: number) {
  for (let i = 0; i < count; i++) {
    await benchApi(base, 'POST', '/api/admin/articles', {
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
