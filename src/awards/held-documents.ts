import type { Db } from '../db';
import { DAY, signToken, verifyToken } from '../tokens';
import { keepDocuments, MAX_DOCUMENTS, type StoredDocument } from './documents';
import { insertHeldDocuments, listDocuments, listHeldDocuments } from './queries';

/**
 * Documents a form holds between its posts. Uploads are stored at once (as held documents)
 * and the form carries a signed token naming them, so a form that comes back with errors,
 * a draft and an edit keep their files without the entrant choosing them again. The token
 * names storage keys only; a key counts only if it is held for this form or draft, or is
 * already one of the edited entry's documents.
 */
export const HELD_TOKEN_TTL = DAY;
/** A held document no draft took is removed by the upload sweep after this long. */
export const HELD_MAX_AGE_MS = DAY * 1000;

export interface FormDocument extends StoredDocument {
  /** 'held' until an entry takes it; 'entry' for a document the edited entry already has. */
  source: 'held' | 'entry';
}

/** Who the form belongs to: a new entry, a draft, or a submitted entry being edited. */
export type DocumentOwner = { draftId?: number; entryId?: number };

export function heldDocumentsToken(secret: string, documents: Pick<FormDocument, 'storageKey'>[], now = Date.now()): string {
  return signToken(secret, { purpose: 'held-documents', subject: documents.map((d) => d.storageKey).join(','), nonce: '' }, HELD_TOKEN_TTL, now);
}

export function readHeldDocumentsToken(secret: string, token: unknown): string[] {
  const check = verifyToken(secret, token, 'held-documents');
  if (!check.ok || !check.claims.subject) return [];
  return check.claims.subject.split(',').slice(0, MAX_DOCUMENTS);
}

/** The documents of these keys that the owner may use, in the token's order. */
export async function resolveFormDocuments(db: Db, keys: string[], owner: DocumentOwner): Promise<FormDocument[]> {
  const held = (await listHeldDocuments(db, keys)).filter((d) => d.draft_id === null || d.draft_id === owner.draftId);
  const ofEntry = owner.entryId ? (await listDocuments(db, [owner.entryId])).filter((d) => keys.includes(d.storage_key)) : [];
  const found = new Map<string, FormDocument>();
  for (const d of held) found.set(d.storage_key, { storageKey: d.storage_key, originalName: d.original_name, contentType: d.content_type, sizeBytes: d.size_bytes, source: 'held' });
  for (const d of ofEntry) found.set(d.storage_key, { storageKey: d.storage_key, originalName: d.original_name, contentType: d.content_type, sizeBytes: d.size_bytes, source: 'entry' });
  return keys.flatMap((k) => found.get(k) ?? []);
}

/** Stores checked uploads and records them as held (for no draft yet). */
export async function holdUploads(db: Db, dataDir: string, files: Express.Multer.File[], types: string[], now = new Date()): Promise<FormDocument[]> {
  const stored = await keepDocuments(dataDir, files, types);
  await insertHeldDocuments(
    db,
    stored.map((d) => ({ storage_key: d.storageKey, original_name: d.originalName, content_type: d.contentType, size_bytes: d.sizeBytes, draft_id: null, created_at: now })),
  );
  return stored.map((d) => ({ ...d, source: 'held' as const }));
}
