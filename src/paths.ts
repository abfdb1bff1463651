import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Where the project's files are, whether this code runs from src/ (through tsx, as the
 * tests do) or bundled into dist/ (as `npm start` runs it): found from the nearest
 * package.json, not from this file's own place.
 */
function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error('package.json not found above ' + start);
  }
}

export const projectRoot = findProjectRoot(import.meta.dirname);
/** Running the bundle in dist/ (JavaScript) rather than the TypeScript sources. */
export const runningBuilt = import.meta.url.endsWith('.js');

export const paths = {
  source: path.join(projectRoot, 'src'),
  emails: path.join(projectRoot, 'emails'),
  static: path.join(projectRoot, 'src', 'pages', 'static'),
  migrations: runningBuilt ? path.join(projectRoot, 'dist', 'migrations') : path.join(projectRoot, 'migrations'),
};
