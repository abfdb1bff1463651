import type { RequestHandler } from 'express';
import { databaseFileProblem, type Db } from '../db';
import { storageUnavailable } from '../errors';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Refuses writes (503) while the SQLite file this process opened is no longer the one on disk:
 * SQLite would keep writing to the unlinked file and the answer would say "stored" for data
 * that is gone at the next start. Two stat calls, cheap enough to run on every write.
 */
export function requireStorage(db: Db): RequestHandler {
  return (req, _res, next) => {
    if (WRITES.has(req.method) && databaseFileProblem(db)) return next(storageUnavailable());
    next();
  };
}
