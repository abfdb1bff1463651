import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { rename, rm, utimes } from 'node:fs/promises';
import path from 'node:path';
import type { RequestHandler, Response } from 'express';
import { fileTypeFromFile } from 'file-type';
import multer from 'multer';
import { AppError, isStorageFault } from '../errors';

/**
 * Supporting documents: at most three, 10 MB each, of the allowed kinds judged by their
 * content (magic bytes), never by their name. Uploads land in DATA_DIR/uploads/incoming and
 * move to DATA_DIR/uploads under a random key only once the entry is accepted.
 */
export const MAX_DOCUMENTS = 3;
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;

export const ALLOWED_DOCUMENTS: Record<string, string> = {
  'application/pdf': 'PDF',
  'image/png': 'PNG',
  'image/jpeg': 'JPEG',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'DOCX',
};

export interface StoredDocument {
  storageKey: string;
  originalName: string;
  contentType: string;
  sizeBytes: number;
}

export const uploadsDirectory = (dataDir: string) => path.join(dataDir, 'uploads');
export const incomingDirectory = (dataDir: string) => path.join(uploadsDirectory(dataDir), 'incoming');

/** Why documents cannot be stored now ('missing', 'not writable'), or null when they can. */
export function uploadsFolderProblem(dataDir: string): string | null {
  for (const dir of [uploadsDirectory(dataDir), incomingDirectory(dataDir)]) {
    try {
      if (!statSync(dir).isDirectory()) return 'missing';
      accessSync(dir, constants.W_OK);
    } catch (err) {
      return (err as { code?: string }).code === 'ENOENT' ? 'missing' : 'not writable';
    }
  }
  return null;
}

/** Parses the multipart entry form; size and count limits answer 413. */
export function entryFormUpload(dataDir: string): RequestHandler {
  const incoming = incomingDirectory(dataDir);
  mkdirSync(incoming, { recursive: true });
  const upload = multer({
    storage: multer.diskStorage({
      destination: incoming,
      filename: (_req, _file, done) => done(null, randomBytes(16).toString('hex')),
    }),
    limits: { fileSize: MAX_DOCUMENT_BYTES, files: MAX_DOCUMENTS, fields: 40, fieldSize: 64 * 1024, parts: 50 },
  }).array('documents', MAX_DOCUMENTS);

  return (req, res, next) => {
    upload(req, res, (err: unknown) => {
      if (!err) return next();
      const code = (err as { code?: string }).code;
      if (code === 'LIMIT_FILE_SIZE') return next(new AppError(413, 'payload_too_large', 'Each document can be at most 10 MB.'));
      if (code === 'LIMIT_FILE_COUNT' || code === 'LIMIT_UNEXPECTED_FILE') {
        return next(new AppError(413, 'payload_too_large', `Attach at most ${MAX_DOCUMENTS} documents, in the documents field.`));
      }
      if (code?.startsWith('LIMIT_')) return next(new AppError(413, 'payload_too_large', 'The form is too large.'));
      // The folder gone or the disk full is our fault, not the form's: the error handler logs it, 503.
      // Not recreated here: a missing folder means DATA_DIR is not what this process started on.
      if (isStorageFault(err)) return next(err);
      next(new AppError(400, 'bad_request', 'The form could not be read.'));
    });
  };
}

/** The uploaded files of a request, as multer left them. */
export const uploadedFiles = (files: unknown): Express.Multer.File[] => (Array.isArray(files) ? files : []);

/** Checks each file's content; returns the kinds, or a message for the documents field. */
export async function checkDocuments(files: Express.Multer.File[]): Promise<{ ok: true; types: string[] } | { ok: false; message: string }> {
  const types: string[] = [];
  for (const file of files) {
    if (file.size === 0) return { ok: false, message: `${cleanName(file.originalname)} is empty.` };
    const detected = await fileTypeFromFile(file.path);
    if (!detected || !ALLOWED_DOCUMENTS[detected.mime]) {
      return { ok: false, message: `${cleanName(file.originalname)} is not a PDF, PNG, JPEG or DOCX file.` };
    }
    types.push(detected.mime);
  }
  return { ok: true, types };
}

/** Moves accepted uploads to their permanent, unguessable names. */
export async function keepDocuments(dataDir: string, files: Express.Multer.File[], types: string[]): Promise<StoredDocument[]> {
  const stored: StoredDocument[] = [];
  for (const [i, file] of files.entries()) {
    const storageKey = randomBytes(24).toString('base64url');
    const kept = path.join(uploadsDirectory(dataDir), storageKey);
    await rename(file.path, kept);
    // Its age now counts from here, not from the end of its upload: the sweep of orphans
    // must not take a file of a slow request whose entry is about to be committed.
    const now = new Date();
    await utimes(kept, now, now);
    stored.push({ storageKey, originalName: cleanName(file.originalname), contentType: types[i], sizeBytes: file.size });
  }
  return stored;
}

export async function discardUploads(files: Express.Multer.File[]) {
  await Promise.all(files.map((f) => rm(f.path, { force: true })));
}

export async function discardStored(dataDir: string, documents: StoredDocument[]) {
  await Promise.all(documents.map((d) => rm(path.join(uploadsDirectory(dataDir), d.storageKey), { force: true })));
}

export const storedPath = (dataDir: string, storageKey: string) => path.join(uploadsDirectory(dataDir), storageKey);

/** Sends a stored document as a download that no cache keeps (to admins, and to the judges assigned its entry). */
export function sendDocument(res: Response, dataDir: string, document: { storage_key: string; original_name: string; content_type: string } | undefined) {
  if (!document) throw new AppError(404, 'not_found', 'There is no document at this address.');
  res.set('Content-Type', document.content_type);
  res.set('Cache-Control', 'private, no-store');
  res.attachment(document.original_name);
  res.sendFile(storedPath(dataDir, document.storage_key));
}

/** A file name safe to show and to send back in Content-Disposition. */
function cleanName(name: string): string {
  const base = path.basename(String(name ?? 'document')).replace(/[\u0000-\u001f\u007f"\\]/g, '').trim();
  return (base || 'document').slice(0, 200);
}

