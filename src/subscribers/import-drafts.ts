import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ImportOptions } from './import';

/**
 * A previewed console import waits here, in DATA_DIR/imports, under a random id, until the
 * person who previewed it confirms it: the confirm button carries only the id, so what is
 * imported is exactly what was previewed (file and options), and nobody else can run it.
 * Drafts older than an hour are removed.
 */
export interface ImportDraft {
  staffId: number;
  fileName: string | null;
  csv: string;
  options: Pick<ImportOptions, 'status' | 'consentNote'>;
}

const DRAFT_TTL_MS = 60 * 60_000;
const DRAFT_ID = /^[a-f0-9]{32}$/;

const directory = (dataDir: string) => path.join(dataDir, 'imports');
const fileOf = (dataDir: string, id: string) => path.join(directory(dataDir), `${id}.json`);

export async function saveImportDraft(dataDir: string, draft: ImportDraft): Promise<string> {
  await mkdir(directory(dataDir), { recursive: true });
  await pruneImportDrafts(dataDir);
  const id = randomBytes(16).toString('hex');
  await writeFile(fileOf(dataDir, id), JSON.stringify(draft), { mode: 0o600 });
  return id;
}

/** The draft, if it exists, is fresh and belongs to this staff member. */
export async function readImportDraft(dataDir: string, id: unknown, staffId: number): Promise<ImportDraft | null> {
  if (typeof id !== 'string' || !DRAFT_ID.test(id)) return null;
  try {
    const file = fileOf(dataDir, id);
    if (Date.now() - (await stat(file)).mtimeMs > DRAFT_TTL_MS) return null;
    const draft = JSON.parse(await readFile(file, 'utf8')) as ImportDraft;
    return draft.staffId === staffId ? draft : null;
  } catch {
    return null;
  }
}

export async function discardImportDraft(dataDir: string, id: string) {
  if (DRAFT_ID.test(id)) await rm(fileOf(dataDir, id), { force: true });
}

async function pruneImportDrafts(dataDir: string) {
  const now = Date.now();
  for (const name of await readdir(directory(dataDir))) {
    const file = path.join(directory(dataDir), name);
    const old = await stat(file).then((s) => now - s.mtimeMs > DRAFT_TTL_MS, () => false);
    if (old) await rm(file, { force: true });
  }
}
