import { Router } from 'express';
import { notFound } from '../errors';
import { parseQuery } from '../http/validate';
import { digestIdParam, previewQuery } from './schema';
import { loadDigest, previewDigest, webCopyHtml, webRecipient, type DigestDeps } from './service';

/** Digests for admins (mounted under /api/admin, behind the bearer token). */
export function digestAdminRoutes(deps: DigestDeps): Router {
  const router = Router();

  router.get('/digests/preview', async (req, res) => {
    const query = parseQuery(previewQuery, req.query);
    const { html } = await previewDigest(deps, query);
    res.type('html').send(html);
  });

  return router;
}

/** "View in browser": a digest as a web page, without any reader's personal links. */
export function digestRoutes(deps: DigestDeps): Router {
  const router = Router();

  router.get('/digests/:id', async (req, res) => {
    const id = digestIdParam.safeParse(req.params);
    const digest = id.success ? await loadDigest(deps.db, id.data.id) : undefined;
    if (!digest) throw notFound('There is no digest at this address.');
    // Test digests and unsent ones live here too; search engines have no business with them.
    res.set('X-Robots-Tag', 'noindex');
    res.type('html').send(webCopyHtml(digest.personalise(webRecipient(deps.config)).html, deps.config));
  });

  return router;
}
