// `npm start`, `npm run worker|digest|migrate`: builds dist/ when it is missing or older
// than any source file, then runs the built entry point in this same process.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, ENTRY_POINTS } from './build.mjs';

const root = path.join(import.meta.dirname, '..', '..');
const entry = process.argv[2];
if (!ENTRY_POINTS.includes(entry)) {
  console.error(`usage: node src/cli/start.mjs <${ENTRY_POINTS.join('|')}> [arguments]`);
  process.exit(2);
}

function newestSource(dir) {
  let newest = 0;
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, name.name);
    newest = Math.max(newest, name.isDirectory() ? newestSource(full) : /\.(ts|mjs)$/.test(name.name) ? statSync(full).mtimeMs : 0);
  }
  return newest;
}

const stamp = path.join(root, 'dist', '.built');
const stale = !existsSync(stamp) || statSync(stamp).mtimeMs < Math.max(newestSource(path.join(root, 'src')), newestSource(path.join(root, 'migrations')));
if (stale) {
  const started = Date.now();
  await build();
  if (entry === 'server') console.log(`Built dist/ in ${Date.now() - started} ms`);
}

// The entry point reads its own arguments from process.argv, as if started directly.
process.argv.splice(2, 1);
await import(pathToFileURL(path.join(root, 'dist', `${entry}.js`)).href);
