import { Router } from 'express';
import type { Config } from '../config';
import type { Db } from '../db';
import type { Logger } from '../logger';
import { feedAddressPolicy } from './feed-address';
import { notFound } from '../errors';
import { jsonBody } from '../http/body';
import { pageQuery } from '../http/listing';
import { parseInput, parseQuery } from '../http/validate';
import { countArticles, countFeeds, findArticleWithTopicById, findFeedWithTopicById, listArticlesPage, listFeedsPage } from './queries';
import { articleInput, articleListQuery, idParam, feedInput } from './schema';
import { articleView, feedView, pollFeedById, registerFeed, resolveTopic, upsertArticle } from './service';

/** Articles and feeds for admins (mounted under /api/admin, behind the bearer token). */
export function articleAdminRoutes(deps: { db: Db; logger: Logger; config: Pick<Config, 'feedPollMinutes' | 'feedAllowPrivate'> }): Router {
  const router = Router();
  const { db, logger } = deps;
  const intervalMs = deps.config.feedPollMinutes * 60_000;
  const addresses = feedAddressPolicy({ allowPrivate: deps.config.feedAllowPrivate });

  router.post('/articles', ...jsonBody(), async (req, res) => {
    const input = parseInput(articleInput, req.body);
    const { article, created } = await upsertArticle(db, input);
    res.status(created ? 201 : 200).json(article);
  });

  router.get('/articles', async (req, res) => {
    const query = parseQuery(articleListQuery, req.query);
    const filter = { topicId: query.topic ? (await resolveTopic(db, query.topic)).id : undefined };
    const [total, rows] = await Promise.all([countArticles(db, filter), listArticlesPage(db, filter, (query.page - 1) * query.pageSize, query.pageSize)]);
    res.json({ items: rows.map(articleView), total, page: query.page, pageSize: query.pageSize });
  });

  router.get('/articles/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const row = await findArticleWithTopicById(db, id);
    if (!row) throw notFound('No article has this id.');
    res.json(articleView(row));
  });

  router.post('/feeds', ...jsonBody(), async (req, res) => {
    const input = parseInput(feedInput, req.body);
    const { id, created } = await registerFeed(db, input, addresses);
    res.status(created ? 201 : 200).json(feedView((await findFeedWithTopicById(db, id))!));
  });

  router.get('/feeds', async (req, res) => {
    const query = parseQuery(pageQuery, req.query);
    const [total, rows] = await Promise.all([countFeeds(db), listFeedsPage(db, (query.page - 1) * query.pageSize, query.pageSize)]);
    res.json({ items: rows.map(feedView), total, page: query.page, pageSize: query.pageSize });
  });

  router.post('/feeds/:id/poll', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const result = await pollFeedById(db, id, { intervalMs, addresses, logger });
    if (!result) throw notFound('No feed has this id.');
    res.json(result);
  });

  return router;
}
