import { Router } from 'express';
import { uploadsFolderProblem } from './awards/documents';
import { databaseFileProblem, type Db } from './db';

/**
 * For load balancers: /healthz says the process is up; /readyz that what it answers as
 * stored is stored: the database answers (and on SQLite, the file it opened is still the one
 * on disk, writable), and the uploads folder exists. A 503 names each part that failed.
 */
export function healthRoutes(db: Db, dataDir: string): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    let database: string | null;
    try {
      await db.raw('select 1');
      database = databaseFileProblem(db);
    } catch {
      database = 'unreachable';
    }
    const uploads = uploadsFolderProblem(dataDir);
    const ready = !database && !uploads;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', database: database ?? 'ok', uploads: uploads ?? 'ok' });
  });
  return router;
}
