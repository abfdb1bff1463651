import { Router, type Request, type Response } from 'express';
import { renderConsole, setFlash } from '../console/render';
import { EDITORS } from '../console/screens';
import type { Db } from '../db';
import { formBody } from '../http/body';
import type { Csrf } from '../http/csrf';
import { requireRole } from '../http/staff-session';
import { topicPatch, topicSlugParam } from './schema';
import { listTopicViews, setTopicSenderName } from './service';

/** The topics' sender names in the console (/admin/topics), beside the Digests screen. */
export function topicConsoleRoutes(deps: { db: Db; csrf: Csrf }): Router {
  const router = Router();
  const { db, csrf } = deps;
  router.use('/topics', requireRole(...EDITORS));

  async function render(req: Request, res: Response, status: number, failed: { slug: string; value: string; error: string } | null = null) {
    const topics = (await listTopicViews(db)).map((t) => (failed?.slug === t.slug ? { ...t, value: failed.value, error: failed.error } : { ...t, value: t.senderName ?? '' }));
    renderConsole(req, res, 'topics/views/console-topics.njk', { title: 'Sender names', topics }, status);
  }

  router.get('/topics', csrf.provideToken, (req, res) => render(req, res, 200));

  router.post('/topics/:slug', ...formBody('4kb'), csrf.protect, csrf.provideToken, async (req, res) => {
    const slug = topicSlugParam.safeParse(req.params);
    const value = typeof req.body.senderName === 'string' ? req.body.senderName : '';
    const parsed = topicPatch.safeParse({ senderName: value });
    if (!slug.success) return render(req, res, 404);
    if (!parsed.success) return render(req, res, 422, { slug: slug.data.slug, value, error: parsed.error.issues[0].message });
    const topic = await setTopicSenderName(db, slug.data.slug, parsed.data.senderName);
    setFlash(res, topic.senderName ? `${topic.name} digests are now from “${topic.senderName}”.` : `${topic.name} digests are from the newsletter’s own name again.`);
    res.redirect(303, '/admin/topics');
  });

  return router;
}
