import { Router } from 'express';
import { toDate } from '../db';
import { notFound } from '../errors';
import { pageQuery } from '../http/listing';
import { countArchivedDigests, listArchivedDigests } from './queries';
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

const ARCHIVE_PAGE_SIZE = 20;

/** "View in browser": a digest as a web page, without any reader's personal links; and the archive of sent ones. */
export function digestRoutes(deps: DigestDeps): Router {
  const router = Router();

  router.get('/newsletter/archive', async (req, res) => {
    const { page } = parseQuery(pageQuery.pick({ page: true }), req.query);
    const [total, rows] = await Promise.all([countArchivedDigests(deps.db), listArchivedDigests(deps.db, (page - 1) * ARCHIVE_PAGE_SIZE, ARCHIVE_PAGE_SIZE)]);
    res.render('digests/views/archive.njk', {
      title: 'Newsletter archive',
      page,
      pages: Math.max(1, Math.ceil(total / ARCHIVE_PAGE_SIZE)),
      items: rows.map((d) => {
        const at = toDate(d.finished_at);
        return { id: d.id, subject: d.subject, topic: d.topic_name, iso: at?.toISOString(), date: at?.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }) };
      }),
    });
  });

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
