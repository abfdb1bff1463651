import express, { Router } from 'express';
import type { Db } from '../db';
import { notFound, unsupportedMediaType } from '../errors';
import { sendCsvRows, wantsCsv } from '../http/listing';
import { parseQuery } from '../http/validate';
import { importSubscribers, rowsFromCsv, rowsFromJsonText } from './import';
import { countSubscribers } from './queries';
import { importOptionsInput, subscriberListQuery } from './schema';
import { eraseSubscriber } from './erasure';
import { eachSubscriberView, listSubscriberViews, subscriberFilterOf } from './service';

/** Subscribers for admins (mounted under /api/admin, behind the bearer token). */
export function subscriberAdminRoutes(deps: { db: Db; config: { sendRate: number }; mailQueued: () => void }): Router {
  const router = Router();
  const { db } = deps;

  router.get('/subscribers', async (req, res) => {
    const query = parseQuery(subscriberListQuery, req.query);
    const filter = subscriberFilterOf(query);
    if (query.format === 'csv' || (!query.format && wantsCsv(req))) {
      const columns = ['email', 'name', 'status', 'topics', 'consent_at', 'consent_source', 'consent_version', 'consent_note', 'created_at', 'confirmed_at'];
      return sendCsvRows(res, 'subscribers.csv', columns, eachSubscriberView(db, filter), (s) => [
        s.email, s.name, s.status, s.topics.join(';'), s.consent.at, s.consent.source, s.consent.version, s.consent.note, s.createdAt, s.confirmedAt,
      ]);
    }
    const [total, items] = await Promise.all([countSubscribers(db, filter), listSubscriberViews(db, filter, (query.page - 1) * query.pageSize, query.pageSize)]);
    res.json({ items, total, page: query.page, pageSize: query.pageSize });
  });

  router.post(
    '/subscribers/import',
    (req, _res, next) => next(req.is(['text/csv', 'application/json']) ? undefined : unsupportedMediaType('text/csv or application/json')),
    // Both kinds arrive as text: JSON is checked for depth before it is parsed (rowsFromJsonText).
    express.text({ type: ['text/csv', 'application/json'], limit: '25mb' }),
    async (req, res) => {
      const options = parseQuery(importOptionsInput, req.query);
      const text = typeof req.body === 'string' ? req.body : '';
      const rows = req.is('text/csv') ? rowsFromCsv(text) : rowsFromJsonText(text);
      const result = await importSubscribers(db, rows, { status: options.status, consentNote: options.consentNote ?? null, emailsApproved: options.confirm === 'yes', sendRate: deps.config.sendRate });
      if (options.status === 'pending' && result.added) deps.mailQueued();
      res.json(result);
    },
  );

  router.delete('/subscribers/:email', async (req, res) => {
    const erased = await eraseSubscriber(deps, String(req.params.email));
    if (!erased) throw notFound('No subscriber has this address.');
    res.status(204).end();
  });

  return router;
}
