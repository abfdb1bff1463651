import { Router } from 'express';
import type { Config } from '../config';
import type { Db } from '../db';
import type { Csrf } from '../http/csrf';
import { CONSENT } from '../subscribers/schema';
import { DEFAULT_TOPIC } from '../subscribers/service';
import { listTopics } from '../topics/queries';

/** The home page: the newsletter signup (open calls and latest articles join it later). */
export function homeRoutes(deps: { db: Db; config: Config; csrf: Csrf }): Router {
  const router = Router();
  router.get('/', deps.csrf.provideToken, async (_req, res) => {
    res.render('pages/templates/home.njk', {
      title: 'Finance news and awards',
      topics: await listTopics(deps.db),
      values: { topics: [DEFAULT_TOPIC] },
      errors: {},
      consentText: CONSENT.text(deps.config.orgName),
    });
  });
  return router;
}
