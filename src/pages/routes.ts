import { Router } from 'express';
import { listArticlesPage } from '../articles/queries';
import { articleView } from '../articles/service';
import { listProgrammesWithCategories } from '../awards/service';
import type { Config } from '../config';
import type { Db } from '../db';
import type { Csrf } from '../http/csrf';
import { CONSENT } from '../subscribers/schema';
import { DEFAULT_TOPIC } from '../subscribers/service';
import { listTopics } from '../topics/queries';

/** The home page: open calls for entries, the latest articles and the newsletter signup. */
export function homeRoutes(deps: { db: Db; config: Config; csrf: Csrf }): Router {
  const router = Router();
  router.get('/', deps.csrf.provideToken, async (_req, res) => {
    const [programmes, articles] = await Promise.all([listProgrammesWithCategories(deps.db), listArticlesPage(deps.db, {}, 0, 6)]);
    res.render('pages/templates/home.njk', {
      title: 'Finance news and awards',
      openCalls: programmes.filter((p) => p.state === 'open'),
      articles: articles.map(articleView).map((a) => ({ ...a, date: new Date(a.publishedAt).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }) })),
      topics: await listTopics(deps.db),
      values: { topics: [DEFAULT_TOPIC] },
      errors: {},
      consentText: CONSENT.text(deps.config.orgName),
    });
  });
  return router;
}
