import { Router } from 'express';
import type { Db } from '../db';
import { jsonBody } from '../http/body';
import { parseInput } from '../http/validate';
import { topicPatch, topicSlugParam } from './schema';
import { listTopicViews, setTopicSenderName } from './service';

/** Topics for admins (mounted under /api/admin): their list, and each one's sender name. */
export function topicAdminRoutes(deps: { db: Db }): Router {
  const router = Router();

  router.get('/topics', async (_req, res) => {
    const items = await listTopicViews(deps.db);
    res.json({ items, total: items.length, page: 1, pageSize: items.length });
  });

  router.patch('/topics/:slug', ...jsonBody(), async (req, res) => {
    const { slug } = parseInput(topicSlugParam, req.params);
    const { senderName } = parseInput(topicPatch, req.body);
    res.json(await setTopicSenderName(deps.db, slug, senderName));
  });

  return router;
}
