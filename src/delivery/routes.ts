import { Router } from 'express';
import { jsonBody } from '../http/body';
import { parseInput } from '../http/validate';
import { validationFailed } from '../errors';
import { digestApiTrigger, digestListQuery, idempotencyKey } from './schema';
import { cancelDigest, digestProgress, listDigestSends, pauseDigest, resumeDigest, retryFailed, triggerDigest, type SendDeps } from './service';

/** The digest trigger and its controls (mounted under /api/admin, behind the bearer token). */
export function deliveryAdminRoutes(deps: SendDeps): Router {
  const router = Router();

  router.post('/digests', ...jsonBody(), async (req, res) => {
    const input = parseInput(digestApiTrigger, req.body);
    const header = req.get('idempotency-key');
    let key: string | null = null;
    if (header !== undefined) {
      const parsed = idempotencyKey.safeParse(header);
      if (!parsed.success) throw validationFailed({ 'Idempotency-Key': parsed.error.issues[0].message });
      key = parsed.data;
    }
    res.status(202).json(await triggerDigest(deps, input, key));
  });

  router.get('/digests', async (req, res) => {
    res.json(await listDigestSends(deps.db, parseInput(digestListQuery, req.query)));
  });

  router.get('/digests/:id', async (req, res) => {
    res.json(await digestProgress(deps.db, String(req.params.id), { clicks: deps.config.trackClicks }));
  });

  const control = (path: string, act: (deps: SendDeps, id: string) => Promise<unknown>) => {
    router.post(`/digests/:id/${path}`, async (req, res) => {
      const id = String(req.params.id);
      const result = await act(deps, id);
      res.json({ ...(await digestProgress(deps.db, id)), ...(typeof result === 'number' ? { requeued: result } : {}) });
    });
  };
  control('pause', pauseDigest);
  control('resume', resumeDigest);
  control('cancel', cancelDigest);
  control('retry-failed', retryFailed);

  return router;
}
