import { Router } from 'express';
import type { Db } from '../db';
import { followClick } from './service';

/** GET /r/:token: a tracked article link. 302 to the article; a bad or forged token gets a 400 page. */
export function clickRoutes(deps: { db: Db; config: { secret: string } }): Router {
  const router = Router();
  router.get('/r/:token', async (req, res) => {
    const url = await followClick(deps.db, deps.config.secret, req.params.token);
    res.set('Referrer-Policy', 'no-referrer');
    if (!url) {
      res.status(400).render('pages/templates/error.njk', {
        status: 400,
        title: 'This link does not work',
        message: 'This link is not one of ours, or it was copied incompletely. Open the article from the email again.',
      });
      return;
    }
    res.redirect(302, url);
  });
  return router;
}
