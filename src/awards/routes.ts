import { Router, type RequestHandler } from 'express';
import { AppError } from '../errors';
import type { Csrf } from '../http/csrf';
import { jsonBody, requireContentType } from '../http/body';
import { COUNTRIES } from './countries';
import { entryFormUpload } from './documents';
import { entrantRoutes, entryFormPost } from './entrant-routes';
import { renderEntryForm } from './entry-form';
import { pageContent } from './programme-pages';
import { findCategoryById, listDocuments } from './queries';
import { draftInput, ENTRANT_STATUS_LABELS, NEXT_STATUSES, parseEntryInput, type EntryStatus } from './schema';
import { createDraft } from './drafts';
import { entryLockReason } from './entry-editing';
import { parseInput } from '../http/validate';
import {
  checkEntry,
  entrantStatus,
  findEntryForReceipt,
  findProgramme,
  listProgrammesWithCategories,
  programmeView,
  submitEntry,
  type AwardsDeps,
} from './service';

export interface RouteDeps extends AwardsDeps {
  csrf: Csrf;
  limitPublicPosts: RequestHandler;
}


/** Calls for entries, the entry form and receipts, and the public JSON API for awards. */
export function awardRoutes(deps: RouteDeps): Router {
  const router = Router();
  const { csrf, limitPublicPosts } = deps;
  const upload = entryFormUpload(deps.config.dataDir);

  router.get('/awards', async (_req, res) => {
    res.render('awards/views/programmes.njk', { title: 'Awards', programmes: await listProgrammesWithCategories(deps.db) });
  });

  // Before /awards/:programme, which would take "my-entries" for a programme's slug.
  router.use(entrantRoutes(deps, upload));

  router.get('/awards/:programme', async (req, res) => {
    const p = await findProgramme(deps.db, String(req.params.programme));
    res.render('awards/views/programme.njk', { title: p.row.name, p, page: pageContent(p) });
  });

  router.get('/awards/:programme/enter', csrf.provideToken, async (req, res) => {
    const p = await findProgramme(deps.db, String(req.params.programme));
    const category = typeof req.query.category === 'string' ? req.query.category : '';
    renderEntryForm(deps, res, p, { kind: 'new' }, { status: 200, values: { category }, errors: {}, documents: [] });
  });

  router.post(
    '/awards/:programme/entries',
    limitPublicPosts,
    requireContentType(['multipart/form-data'], 'a multipart form (multipart/form-data)'),
    upload,
    entryFormPost(deps, async (req) => {
      const p = await findProgramme(deps.db, String(req.params.programme));
      return { p, target: { kind: 'new' } };
    }),
  );

  router.get('/awards/:programme/entries/:reference', async (req, res) => {
    const entry = await findEntryForReceipt(deps, String(req.params.programme), String(req.params.reference), req.query.token);
    if (!entry) throw new AppError(404, 'not_found', 'There is nothing at this address.');
    const p = await findProgramme(deps.db, String(req.params.programme));
    const [category, documents] = await Promise.all([findCategoryById(deps.db, entry.category_id), listDocuments(deps.db, [entry.id])]);
    res.set('Cache-Control', 'private, no-store');
    res.set('Referrer-Policy', 'no-referrer');
    res.render('awards/views/receipt.njk', {
      title: `Entry ${entry.reference}`,
      entry,
      programme: p.row,
      category,
      documents,
      country: COUNTRIES.find((c) => c.code === entry.country)?.name ?? entry.country,
      statusLabel: ENTRANT_STATUS_LABELS[entrantStatus(entry.status, p.row)] ?? entry.status,
      notForPublication: entry.not_for_publication ? (JSON.parse(entry.not_for_publication) as string[]) : [],
      updated: req.query.updated,
      // The receipt's token opens the edit and withdraw pages too.
      editUrl: (await entryLockReason(deps, entry, p)) ? null : `/awards/${p.row.slug}/entries/${entry.reference}/edit?token=${encodeURIComponent(String(req.query.token))}`,
      withdrawUrl: NEXT_STATUSES[entry.status as EntryStatus]?.includes('withdrawn') ? `/awards/${p.row.slug}/entries/${entry.reference}/withdraw?token=${encodeURIComponent(String(req.query.token))}` : null,
    });
  });

  router.get('/api/awards', async (_req, res) => {
    const programmes = await listProgrammesWithCategories(deps.db);
    res.json({ items: programmes.map(programmeView) });
  });

  router.post('/api/awards/:programme/entries', limitPublicPosts, ...jsonBody(), async (req, res) => {
    const p = await findProgramme(deps.db, String(req.params.programme));
    if (req.body?.action === 'save') {
      const draft = await createDraft(deps, p, parseInput(draftInput, req.body), []);
      return void res.status(201).json({ status: 'draft', draft: draft.id });
    }
    const { input } = await checkEntry(deps.db, p, parseEntryInput(req.body));
    const entry = await submitEntry(deps, { programme: p, input, documents: [], source: 'api', submissionId: null });
    res.status(201).json({ reference: entry.reference, status: entry.status });
  });

  return router;
}
