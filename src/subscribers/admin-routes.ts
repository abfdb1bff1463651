import express, { Router } from 'express';
import { z } from 'zod';
import { toDate, type Db } from '../db';
import { notFound, unsupportedMediaType } from '../errors';
import { pageQuery, sendCsv, wantsCsv } from '../http/listing';
import { parseInput, parseQuery } from '../http/validate';
import { importSubscribers, rowsFromCsv, rowsFromJsonText } from './import';
import { countSubscribers, listSubscribersPage, listTopicSlugsForSubscribers, type SubscriberFilter, type SubscriberRow } from './queries';
import { SUBSCRIBER_STATUSES } from './schema';
import { eraseSubscriber } from './service';

const listQuery = pageQuery.extend({
  status: z.enum(SUBSCRIBER_STATUSES, { error: `status is one of ${SUBSCRIBER_STATUSES.join(', ')}` }).optional(),
  topic: z.string().regex(/^[a-z0-9-]{1,40}$/, 'topic is a topic slug').optional(),
  format: z.enum(['json', 'csv']).optional(),
});

const importQuery = z
  .object({
    status: z.enum(['pending', 'confirmed'], { error: 'status is pending or confirmed' }).default('pending'),
    consentNote: z.string().trim().max(500, 'consentNote has at most 500 characters').optional(),
  })
  .refine((q) => q.status !== 'confirmed' || !!q.consentNote, {
    path: ['consentNote'],
    message: 'Importing as confirmed needs consentNote: how and when these people gave their consent.',
  });

const iso = (value: unknown) => toDate(value)?.toISOString() ?? null;

function subscriberView(row: SubscriberRow, topics: string[]) {
  return {
    email: row.email,
    name: row.name,
    status: row.status,
    topics,
    consent: { at: iso(row.consent_at), version: row.consent_version, source: row.consent_source, note: row.consent_note },
    createdAt: iso(row.created_at),
    confirmedAt: iso(row.confirmed_at),
    unsubscribedAt: iso(row.unsubscribed_at),
    bouncedAt: iso(row.bounced_at),
  };
}

/** Subscribers for admins (mounted under /api/admin, behind the bearer token). */
export function subscriberAdminRoutes(deps: { db: Db; mailQueued: () => void }): Router {
  const router = Router();
  const { db } = deps;

  router.get('/subscribers', async (req, res) => {
    const query = parseQuery(listQuery, req.query);
    const filter: SubscriberFilter = { status: query.status, topic: query.topic };
    const page = async (offset: number, limit: number) => {
      const rows = await listSubscribersPage(db, filter, offset, limit);
      const topics = await listTopicSlugsForSubscribers(db, rows.map((r) => r.id));
      return rows.map((row) => subscriberView(row, topics.get(row.id) ?? []));
    };
    if (query.format === 'csv' || (!query.format && wantsCsv(req))) {
      const columns = ['email', 'name', 'status', 'topics', 'consent_at', 'consent_source', 'consent_version', 'consent_note', 'created_at', 'confirmed_at'];
      return sendCsv(res, 'subscribers.csv', columns, page, (s) => [
        s.email, s.name, s.status, s.topics.join(';'), s.consent.at, s.consent.source, s.consent.version, s.consent.note, s.createdAt, s.confirmedAt,
      ]);
    }
    const [total, items] = await Promise.all([countSubscribers(db, filter), page((query.page - 1) * query.pageSize, query.pageSize)]);
    res.json({ items, total, page: query.page, pageSize: query.pageSize });
  });

  router.post(
    '/subscribers/import',
    (req, _res, next) => next(req.is(['text/csv', 'application/json']) ? undefined : unsupportedMediaType('text/csv or application/json')),
    // Both kinds arrive as text: JSON is checked for depth before it is parsed (rowsFromJsonText).
    express.text({ type: ['text/csv', 'application/json'], limit: '25mb' }),
    async (req, res) => {
      const options = parseInput(importQuery, req.query);
      const text = typeof req.body === 'string' ? req.body : '';
      const rows = req.is('text/csv') ? rowsFromCsv(text) : rowsFromJsonText(text);
      const result = await importSubscribers(db, rows, { status: options.status, consentNote: options.consentNote ?? null });
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
