// Builds dist/ from src/ and migrations/ with esbuild: each entry point bundled with the
// project's own code (packages stay in node_modules), each migration compiled on its own.
import { existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..', '..');
const dist = path.join(root, 'dist');

export const ENTRY_POINTS = ['server', 'cli/worker', 'cli/digest', 'cli/migrate', 'cli/staff'];

/** Builds into a fresh folder, then swaps it in, so a process already running from dist/ is not pulled from under. */
export async function build() {
  // Loaded here, not at the top: `npm start` reads ENTRY_POINTS on every start, and a
  // running server should not carry the bundler.
  const esbuild = await import('esbuild');
  const out = `${dist}.${process.pid}.tmp`;
  rmSync(out, { recursive: true, force: true });
  const common = { platform: 'node', format: 'esm', target: 'node20', sourcemap: true, logLevel: 'warning' };
  await esbuild.build({
    ...common,
    entryPoints: ENTRY_POINTS.map((entry) => path.join(root, 'src', `${entry}.ts`)),
    outbase: path.join(root, 'src'),
    outdir: out,
    bundle: true,
    splitting: true,
    packages: 'external',
    chunkNames: 'chunks/[name]-[hash]',
  });
  const migrations = readdirSync(path.join(root, 'migrations')).filter((f) => f.endsWith('.ts'));
  await esbuild.build({
    ...common,
    entryPoints: migrations.map((f) => path.join(root, 'migrations', f)),
    outdir: path.join(out, 'migrations'),
  });
  writeFileSync(path.join(out, '.built'), new Date().toISOString() + '\n');
  const old = `${dist}.${process.pid}.old`;
  if (existsSync(dist)) renameSync(dist, old);
  renameSync(out, dist);
  rmSync(old, { recursive: true, force: true });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = Date.now();
  await build();
  console.log(`Built dist/ in ${Date.now() - started} ms`);
}
