import { randomBytes } from 'node:crypto';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { AppError } from '../errors';
import type { Csrf } from '../http/csrf';
import { jsonBody, requireContentType } from '../http/body';
import { COUNTRIES } from './countries';
import { checkDocuments, discardStored, discardUploads, entryFormUpload, keepDocuments, uploadedFiles, type StoredDocument } from './documents';
import { pageContent } from './programme-pages';
import { findCategoryById, listDocuments } from './queries';
import { parseEntryInput, type EntryInput } from './schema';
import {
  checkEntry,
  entrantStatus,
  findEntryForReceipt,
  findProgramme,
  listProgrammesWithCategories,
  programmeView,
  receiptUrl,
  submitEntry,
  type AwardsDeps,
  type Programme,
} from './service';

interface RouteDeps extends AwardsDeps {
  csrf: Csrf;
  limitPublicPosts: RequestHandler;
}

export const ENTRY_LABELS = {
  category: 'Award category',
  organisation: 'Organisation’s name',
  nominee: 'Nominee',
  country: 'Country',
  website: 'Organisation’s website',
  contactName: 'Contact name',
  jobTitle: 'Job title',
  contactEmail: 'Contact email',
  contactPhone: 'Contact phone',
  statement: 'Supporting statement',
  documents: 'Supporting documents',
  notForPublication: 'Not for publication',
  consent: 'I accept the terms of entry and the privacy notice, and confirm the information is accurate.',
};

const STATUS_LABELS: Record<string, string> = {
  submitted: 'Submitted',
  under_review: 'Under review',
  shortlisted: 'Shortlisted',
  winner: 'Winner',
  not_shortlisted: 'Not shortlisted',
  withdrawn: 'Withdrawn',
};

/** Runs a middleware as a promise, so the route can clean up after it fails. */
const run = (mw: RequestHandler, req: Request, res: Response) =>
  new Promise<void>((resolve, reject) => mw(req, res, (err?: unknown) => (err ? reject(err) : resolve())));

/** Calls for entries, the entry form and receipts, and the public JSON API for awards. */
export function awardRoutes(deps: RouteDeps): Router {
  const router = Router();
  const { csrf, limitPublicPosts } = deps;
  const upload = entryFormUpload(deps.config.dataDir);

  router.get('/awards', async (_req, res) => {
    res.render('awards/views/programmes.njk', { title: 'Awards', programmes: await listProgrammesWithCategories(deps.db) });
  });

  router.get('/awards/:programme', async (req, res) => {
    const p = await findProgramme(deps.db, String(req.params.programme));
    res.render('awards/views/programme.njk', { title: p.row.name, p, page: pageContent(p) });
  });

  function renderForm(res: Response, status: number, p: Programme, values: Record<string, unknown>, errors: Record<string, string>) {
    res.status(status).render('awards/views/enter.njk', {
      title: `Enter ${p.row.name}`,
      p,
      values,
      errors,
      labels: ENTRY_LABELS,
      countries: COUNTRIES,
      submissionId: randomBytes(16).toString('hex'),
    });
  }

  router.get('/awards/:programme/enter', csrf.provideToken, async (req, res) => {
    const p = await findProgramme(deps.db, String(req.params.programme));
    const category = typeof req.query.category === 'string' ? req.query.category : '';
    renderForm(res, 200, p, { category }, {});
  });

  router.post(
    '/awards/:programme/entries',
    limitPublicPosts,
    requireContentType(['multipart/form-data'], 'a multipart form (multipart/form-data)'),
    upload,
    async (req, res) => {
      // Decide the answer first, remove unneeded files, then answer: the client never sees
      // a response while refused uploads still sit on disk.
      const files = uploadedFiles(req.files);
      let stored: StoredDocument[] = [];
      let reply: () => void;
      try {
        await run(csrf.protect, req, res);
        await run(csrf.provideToken, req, res);
        const body = (req.body ?? {}) as Record<string, unknown>;
        const p = await findProgramme(deps.db, String(req.params.programme));
        const values: Record<string, unknown> = Object.fromEntries(Object.keys(ENTRY_LABELS).map((k) => [k, typeof body[k] === 'string' ? body[k] : '']));
        values.notForPublication = [body.notForPublication].flat().filter((v) => typeof v === 'string');
        const form = (status: number, errors: Record<string, string>) => () => renderForm(res, status, p, values, errors);

        if (body.homepage) {
          reply = () => res.redirect(303, `/awards/${p.row.slug}`); // honeypot: store nothing
        } else {
          // Every field's message at once, the documents' beside them.
          const errors: Record<string, string> = {};
          let input: EntryInput | null = null;
          let notOpen = false;
          try {
            ({ input } = await checkEntry(deps.db, p, parseEntryInput(body)));
          } catch (err) {
            if (!(err instanceof AppError)) throw err;
            if (err.code === 'programme_not_open') notOpen = true;
            else if (err.fields) Object.assign(errors, err.fields);
            else throw err;
          }
          const checked = await checkDocuments(files);
          if (!checked.ok) errors.documents = checked.message;
          if (notOpen) reply = form(409, {});
          else if (!input || !checked.ok) reply = form(422, errors);
          else {
            stored = await keepDocuments(deps.config.dataDir, files, checked.types);
            const submissionId = typeof body.submissionId === 'string' && /^[a-f0-9]{32}$/.test(body.submissionId) ? body.submissionId : null;
            try {
              const entry = await submitEntry(deps, { programme: p, input, documents: stored, source: 'form', submissionId });
              // A repeated submission returns the first entry; the files it carried are not needed.
              const keptKeys = new Set((await listDocuments(deps.db, [entry.id])).map((d) => d.storage_key));
              stored = stored.filter((d) => !keptKeys.has(d.storageKey));
              const receipt = new URL(receiptUrl(deps, p.row.slug, entry));
              reply = () => res.redirect(303, receipt.pathname + receipt.search);
            } catch (err) {
              if (err instanceof AppError && err.fields) reply = form(422, err.fields);
              else if (err instanceof AppError && err.code === 'programme_not_open') reply = form(409, {});
              else throw err;
            }
          }
        }
      } finally {
        await discardUploads(files);
        await discardStored(deps.config.dataDir, stored);
      }
      reply();
    },
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
      statusLabel: STATUS_LABELS[entrantStatus(entry.status, p.row)] ?? entry.status,
      notForPublication: entry.not_for_publication ? (JSON.parse(entry.not_for_publication) as string[]) : [],
    });
  });

  router.get('/api/awards', async (_req, res) => {
    const programmes = await listProgrammesWithCategories(deps.db);
    res.json({ items: programmes.map(programmeView) });
  });

  router.post('/api/awards/:programme/entries', limitPublicPosts, ...jsonBody(), async (req, res) => {
    const p = await findProgramme(deps.db, String(req.params.programme));
    const { input } = await checkEntry(deps.db, p, parseEntryInput(req.body));
    const entry = await submitEntry(deps, { programme: p, input, documents: [], source: 'api', submissionId: null });
    res.status(201).json({ reference: entry.reference, status: entry.status });
  });

  return router;
}
