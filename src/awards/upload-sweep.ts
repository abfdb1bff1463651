import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../db';
import type { Logger } from '../logger';
import { incomingDirectory, uploadsDirectory } from './documents';
import { HELD_MAX_AGE_MS } from './held-documents';
import { deleteHeldDocuments, listAbandonedHeldDocuments, listKnownStorageKeys } from './queries';

/**
 * Removes what a killed process leaves in DATA_DIR/uploads: partial uploads in incoming/
 * (no request lasts an hour) and kept documents no row names (killed between keeping the
 * files and committing the entry). Only files older than these ages, so the uploads of a
 * request in flight, here or in another process on the same folder, are never touched.
 * Documents held for a form that was never sent again (no draft took them) are let go after
 * a day; their files then are orphans like any other.
 */
export const INCOMING_MAX_AGE_MS = 60 * 60_000;
export const ORPHAN_MIN_AGE_MS = 10 * 60_000;
export const SWEEP_INTERVAL_MS = 24 * 60 * 60_000;

// Only names this code gives files (multer's 32 hex digits, keepDocuments' 32 base64url
// characters), so nothing an operator put in the folder is ever removed.
const OUR_NAME = /^[A-Za-z0-9_-]{32}$/;

/** Regular files with names of ours in a folder, with their ages; none when the folder is gone. */
async function filesIn(dir: string, now: number): Promise<{ name: string; full: string; ageMs: number }[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return [];
    throw err;
  }
  const files = [];
  for (const name of names.filter((n) => OUR_NAME.test(n))) {
    const full = path.join(dir, name);
    const info = await stat(full).catch(() => null); // removed meanwhile: nothing to do
    if (info?.isFile()) files.push({ name, full, ageMs: now - info.mtimeMs });
  }
  return files;
}

export async function sweepUploads(deps: { db: Db; dataDir: string; now?: number }): Promise<{ incoming: number; orphans: number }> {
  const now = deps.now ?? Date.now();
  const abandoned = await listAbandonedHeldDocuments(deps.db, new Date(now - HELD_MAX_AGE_MS));
  await deleteHeldDocuments(deps.db, abandoned.map((d) => d.storage_key));
  const stale = (await filesIn(incomingDirectory(deps.dataDir), now)).filter((f) => f.ageMs > INCOMING_MAX_AGE_MS);
  const old = (await filesIn(uploadsDirectory(deps.dataDir), now)).filter((f) => f.ageMs > ORPHAN_MIN_AGE_MS);
  const known = await listKnownStorageKeys(deps.db, old.map((f) => f.name));
  const orphans = old.filter((f) => !known.has(f.name));
  await Promise.all([...stale, ...orphans].map((f) => rm(f.full, { force: true })));
  return { incoming: stale.length, orphans: orphans.length };
}

/** Sweeps at start (awaited by the caller) and then daily; the timer never keeps the process alive. */
export function createUploadSweeper(deps: { db: Db; dataDir: string; logger: Logger; intervalMs?: number }) {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  function sweep(): Promise<void> {
    running ??= (async () => {
      try {
        const removed = await sweepUploads(deps);
        if (removed.incoming || removed.orphans) deps.logger.info(removed, 'uploads swept');
      } catch (err) {
        deps.logger.error({ err: (err as Error).message }, 'uploads sweep failed');
      } finally {
        running = null;
      }
    })();
    return running;
  }

  return {
    sweep,
    start() {
      timer = setInterval(() => void sweep(), deps.intervalMs ?? SWEEP_INTERVAL_MS);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      while (running) await running;
    },
  };
}
