import { Router, type Request, type Response } from 'express';
import type { Config } from '../config';
import { filterQuery, pageCount, renderConsole, setFlash, utcMinute } from '../console/render';
import { EDITORS } from '../console/screens';
import type { Db } from '../db';
import type { Logger } from '../logger';
import { feedAddressPolicy } from './feed-address';
import { AppError } from '../errors';
import { formBody } from '../http/body';
import type { Csrf } from '../http/csrf';
import { pageQuery } from '../http/listing';
import { requireRole } from '../http/staff-session';
import { fieldErrors, parseInput } from '../http/validate';
import { listTopics } from '../topics/queries';
import { countArticles, countArticlesOfFeeds, countFeeds, findArticleWithTopicById, listArticlesPage, listFeedsPage } from './queries';
import { articleInput, articleListQuery, feedInput, idParam, type ArticleView } from './schema';
import { articleView, feedView, pollFeedById, registerFeed, resolveTopic, updateArticleById, upsertArticle, type PollResult } from './service';

export interface ArticleConsoleDeps {
  db: Db;
  logger: Logger;
  config: Pick<Config, 'feedPollMinutes' | 'feedAllowPrivate'>;
  csrf: Csrf;
}

const articleLabels = {
  title: 'Title', url: 'Address (URL)', summary: 'Summary', topic: 'Topic', publishedAt: 'Published',
  imageUrl: 'Image address', author: 'Author', tags: 'Tags', readingMinutes: 'Reading time',
};
const feedLabels = { url: 'Feed address (URL)', topic: 'Topic' };

type FormFields = Record<string, string | undefined>;

/**
 * The article form's fields as the API's JSON: empty optional fields left out, tags
 * separated by commas, the publication time (a datetime-local field, in UTC) as an instant.
 */
function articleFromForm(form: FormFields) {
  const text = (name: string) => (form[name] ?? '').trim() || undefined;
  const minutes = text('readingMinutes');
  const published = text('publishedAt');
  return {
    title: form.title ?? '',
    url: form.url ?? '',
    summary: form.summary ?? '',
    topic: form.topic ?? '',
    publishedAt: published && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(published) ? `${published}${published.length === 16 ? ':00' : ''}Z` : published,
    imageUrl: text('imageUrl') ?? null,
    author: text('author') ?? null,
    tags: (form.tags ?? '').split(',').map((tag) => tag.trim()).filter(Boolean),
    readingMinutes: minutes === undefined ? null : /^\d+$/.test(minutes) ? Number(minutes) : minutes,
  };
}

/** An article as the form shows it. */
const formFromArticle = (a: ArticleView): FormFields => ({
  title: a.title, url: a.url, summary: a.summary, topic: a.topic, publishedAt: a.publishedAt.slice(0, 16),
  imageUrl: a.imageUrl ?? '', author: a.author ?? '', tags: a.tags.join(', '), readingMinutes: String(a.readingMinutes),
});

/**
 * The Articles and Feeds screens: the same inputs, rules and service as the admin API
 * (POST /api/admin/articles, /feeds, /feeds/:id/poll), as forms.
 */
export function articleConsoleRoutes(deps: ArticleConsoleDeps): Router {
  const router = Router();
  const { db, csrf, logger } = deps;
  const form = [...formBody('64kb'), csrf.protect, csrf.provideToken];
  const addresses = feedAddressPolicy({ allowPrivate: deps.config.feedAllowPrivate });
  router.use(['/articles', '/feeds'], requireRole(...EDITORS));

  router.get('/articles', async (req, res) => {
    const query = parseInput(articleListQuery, req.query);
    const filter = { topicId: query.topic ? (await resolveTopic(db, query.topic)).id : undefined };
    const [total, rows, topics] = await Promise.all([
      countArticles(db, filter),
      listArticlesPage(db, filter, (query.page - 1) * query.pageSize, query.pageSize),
      listTopics(db),
    ]);
    renderConsole(req, res, 'articles/views/console-articles.njk', {
      title: 'Articles',
      topics,
      filter: { topic: query.topic ?? '' },
      items: rows.map((row) => ({ ...articleView(row), published: utcMinute(row.published_at) })),
      total,
      page: query.page,
      pages: pageCount(total, query.pageSize),
      pageQuery: filterQuery({ topic: query.topic }),
    });
  });

  async function renderArticleForm(req: Request, res: Response, status: number, page: { id?: number; values: FormFields; errors: Record<string, string> }) {
    renderConsole(req, res, 'articles/views/console-article-form.njk', {
      title: page.id ? 'Edit article' : 'Add an article',
      action: page.id ? `/admin/articles/${page.id}` : '/admin/articles',
      topics: await listTopics(db),
      labels: articleLabels,
      ...page,
    }, status);
  }

  /** Validates the form as the API validates its JSON; on failure re-renders it (422) and answers null. */
  async function validArticle(req: Request, res: Response, id?: number) {
    const values = req.body as FormFields;
    const parsed = articleInput.safeParse(articleFromForm(values));
    if (parsed.success) return parsed.data;
    const errors = fieldErrors(parsed.error);
    if (errors.publishedAt) errors.publishedAt = 'Enter the date and time it was published (UTC).';
    await renderArticleForm(req, res, 422, { id, values, errors });
    return null;
  }

  /** Runs a save; a field error from the service (an unknown topic, a taken address) re-renders the form. */
  async function saving<T>(req: Request, res: Response, save: () => Promise<T>, id?: number): Promise<T | undefined> {
    try {
      return await save();
    } catch (err) {
      if (!(err instanceof AppError && err.fields)) throw err;
      await renderArticleForm(req, res, 422, { id, values: req.body as FormFields, errors: err.fields });
      return undefined;
    }
  }

  router.get('/articles/new', csrf.provideToken, (req, res) =>
    renderArticleForm(req, res, 200, { values: { topic: 'finance', publishedAt: new Date().toISOString().slice(0, 16) }, errors: {} }),
  );

  router.post('/articles', ...form, async (req, res) => {
    const input = await validArticle(req, res);
    const saved = input && (await saving(req, res, () => upsertArticle(db, input)));
    if (!input || !saved) return;
    setFlash(res, saved.created ? `Article added: ${input.title}` : `An article at this address existed; it is updated: ${input.title}`);
    res.redirect(303, '/admin/articles');
  });

  router.get('/articles/:id', csrf.provideToken, async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const row = await findArticleWithTopicById(db, id);
    if (!row) throw new AppError(404, 'not_found', 'There is no such article.');
    await renderArticleForm(req, res, 200, { id, values: formFromArticle(articleView(row)), errors: {} });
  });

  router.post('/articles/:id', ...form, async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const input = await validArticle(req, res, id);
    const saved = input && (await saving(req, res, async () => (await updateArticleById(db, id, input)) ?? null, id));
    if (saved === null) throw new AppError(404, 'not_found', 'There is no such article.');
    if (!input || !saved) return;
    setFlash(res, `Article saved: ${input.title}`);
    res.redirect(303, '/admin/articles');
  });

  // ── Feeds ─────────────────────────────────────────────────────────────────────────────

  async function renderFeeds(req: Request, res: Response, status: number, values: FormFields, errors: Record<string, string>) {
    const query = parseInput(pageQuery, req.query);
    const [total, rows, topics] = await Promise.all([countFeeds(db), listFeedsPage(db, (query.page - 1) * query.pageSize, query.pageSize), listTopics(db)]);
    const articles = await countArticlesOfFeeds(db, rows.map((r) => r.id));
    renderConsole(req, res, 'articles/views/console-feeds.njk', {
      title: 'Feeds',
      topics,
      pollMinutes: deps.config.feedPollMinutes,
      items: rows.map((row) => ({
        ...feedView(row),
        lastPolled: utcMinute(row.last_polled_at),
        lastSuccess: utcMinute(row.last_success_at),
        nextPoll: utcMinute(row.next_poll_at),
        articles: articles.get(row.id) ?? 0,
      })),
      total,
      page: query.page,
      pages: pageCount(total, query.pageSize),
      pageQuery: '',
      values,
      errors,
      labels: feedLabels,
    }, status);
  }

  router.get('/feeds', csrf.provideToken, (req, res) => renderFeeds(req, res, 200, { topic: 'finance' }, {}));

  router.post('/feeds', ...form, async (req, res) => {
    const values = req.body as FormFields;
    const parsed = feedInput.safeParse({ url: (values.url ?? '').trim(), topic: values.topic });
    if (!parsed.success) return renderFeeds(req, res, 422, values, fieldErrors(parsed.error));
    try {
      const { created } = await registerFeed(db, parsed.data, addresses);
      setFlash(res, created ? `Feed registered: ${parsed.data.url}. It is fetched within a minute, or now with “Poll now”.` : `This feed was registered already; its topic is now ${parsed.data.topic}.`);
      res.redirect(303, '/admin/feeds');
    } catch (err) {
      if (!(err instanceof AppError && err.fields)) throw err;
      await renderFeeds(req, res, 422, values, err.fields);
    }
  });

  router.post('/feeds/:id/poll', ...form, async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const result = await pollFeedById(db, id, { intervalMs: deps.config.feedPollMinutes * 60_000, addresses, logger });
    if (!result) throw new AppError(404, 'not_found', 'There is no such feed.');
    setFlash(res, pollMessage(result), result.error ? 'error' : 'ok');
    res.redirect(303, '/admin/feeds');
  });

  return router;
}

function pollMessage(result: PollResult): string {
  if (result.error) return `The poll failed: ${result.error}.`;
  if (result.notModified) return 'Polled: the feed has not changed since the last poll.';
  return `Polled: ${result.new} new article${result.new === 1 ? '' : 's'}, ${result.updated} updated.`;
}
