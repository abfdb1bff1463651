import { Router, type Request, type Response } from 'express';
import multer from 'multer';
import { recordAudit } from '../audit/service';
import type { Config } from '../config';
import { filterQuery, pageCount, renderConsole, setFlash, utcMinute } from '../console/render';
import { EDITORS } from '../console/screens';
import type { Db } from '../db';
import { AppError } from '../errors';
import { skipGenericAudit } from '../http/audit-trail';
import { formBody } from '../http/body';
import type { Csrf } from '../http/csrf';
import { actorOf, requireRole, staffOf } from '../http/staff-session';
import { fieldErrors, parseInput } from '../http/validate';
import { listTopics } from '../topics/queries';
import { importSubscribers, rowsFromCsv, type ImportResult } from './import';
import { discardImportDraft, readImportDraft, saveImportDraft } from './import-drafts';
import { countSubscribers, findSubscriberById } from './queries';
import { importOptionsInput, SUBSCRIBER_STATUSES, subscriberListQuery } from './schema';
import { eraseSubscriber } from './erasure';
import { listSubscriberViews, subscriberFilterOf } from './service';

export interface SubscriberConsoleDeps {
  db: Db;
  config: Pick<Config, 'dataDir' | 'sendRate'>;
  csrf: Csrf;
  mailQueued: () => void;
}

// A list in the console is a spreadsheet export, not a data migration: those go through the API.
const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
// The preview shows this many bad lines, and says how many more there are.
const SHOWN_PROBLEMS = 200;

const importLabels = { file: 'CSV file', csv: 'Rows', status: 'Store them as', consentNote: 'Consent on record' };

/** The CSV file (or pasted rows) and the options, parsed from the multipart form; 413 past the cap. */
function importUpload() {
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: MAX_UPLOAD_BYTES, fieldSize: MAX_UPLOAD_BYTES, files: 1, fields: 10, parts: 12 },
  }).single('file');
  return (req: Request, res: Response, next: (err?: unknown) => void) =>
    upload(req, res, (err: unknown) => {
      if (!err) return next();
      if ((err as { code?: string }).code?.startsWith('LIMIT_')) return next(new AppError(413, 'payload_too_large', 'The list can be at most 10 MB; split it, or use the import API.'));
      next(new AppError(400, 'bad_request', 'The form could not be read.'));
    });
}

/**
 * The Subscribers screen: search and filters, a CSV import that is previewed (a dry run of
 * the same import service) before it is confirmed, and erasure behind a typed confirmation.
 */
export function subscriberConsoleRoutes(deps: SubscriberConsoleDeps): Router {
  const router = Router();
  const { db, csrf } = deps;
  const form = [...formBody('10kb'), csrf.protect, csrf.provideToken];
  router.use('/subscribers', requireRole(...EDITORS));

  router.get('/subscribers', csrf.provideToken, async (req, res) => {
    const query = parseInput(subscriberListQuery, req.query);
    const filter = subscriberFilterOf(query);
    const [total, items, topics] = await Promise.all([
      countSubscribers(db, filter),
      listSubscriberViews(db, filter, (query.page - 1) * query.pageSize, query.pageSize),
      listTopics(db),
    ]);
    renderConsole(req, res, 'subscribers/views/console-subscribers.njk', {
      title: 'Subscribers',
      filter: { q: query.q ?? '', status: query.status ?? '', topic: query.topic ?? '' },
      statuses: SUBSCRIBER_STATUSES,
      topics,
      items: items.map((s) => ({ ...s, created: utcMinute(s.createdAt) })),
      total,
      page: query.page,
      pages: pageCount(total, query.pageSize),
      pageQuery: filterQuery({ q: query.q, status: query.status, topic: query.topic }),
    });
  });

  // ── Import: upload → preview (nothing stored or sent) → confirm ──────────────────────────

  const renderImportForm = (req: Request, res: Response, status: number, values: Record<string, unknown>, errors: Record<string, string>) =>
    renderConsole(req, res, 'subscribers/views/console-import.njk', { title: 'Import subscribers', values, errors, labels: importLabels }, status);

  router.get('/subscribers/import', csrf.provideToken, (req, res) => renderImportForm(req, res, 200, { status: 'pending' }, {}));

  router.post('/subscribers/import', importUpload(), csrf.protect, csrf.provideToken, async (req, res) => {
    skipGenericAudit(res); // a preview changes nothing
    const fields = (req.body ?? {}) as Record<string, unknown>;
    const values = { status: fields.status, consentNote: fields.consentNote, csv: fields.csv };
    const options = importOptionsInput.safeParse({ status: fields.status, consentNote: fields.consentNote || undefined });
    const errors: Record<string, string> = options.success ? {} : fieldErrors(options.error);
    const csv = req.file ? req.file.buffer.toString('utf8') : typeof fields.csv === 'string' ? fields.csv : '';
    if (!csv.trim()) errors.file = 'Choose a CSV file, or paste the rows below.';
    if (Object.keys(errors).length || !options.success) return renderImportForm(req, res, 422, values, errors);

    const draftOptions = { status: options.data.status, consentNote: options.data.consentNote ?? null };
    let result: ImportResult;
    try {
      result = await importSubscribers(db, rowsFromCsv(csv), { ...draftOptions, dryRun: true });
    } catch (err) {
      if (err instanceof AppError && err.status === 400) return renderImportForm(req, res, 422, values, { file: err.message });
      throw err;
    }
    const fileName = req.file?.originalname.slice(0, 200) ?? null;
    const draftId = await saveImportDraft(deps.config.dataDir, { staffId: staffOf(res).id, fileName, csv, options: draftOptions });
    renderConsole(req, res, 'subscribers/views/console-import-preview.njk', {
      title: 'Check the import',
      draftId,
      fileName,
      options: draftOptions,
      result: { ...result, skippedCount: result.skipped.length, skipped: result.skipped.slice(0, SHOWN_PROBLEMS) },
      hiddenProblems: Math.max(0, result.skipped.length - SHOWN_PROBLEMS),
      importing: result.added + result.updated,
    });
  });

  router.post('/subscribers/import/confirm', ...form, async (req, res) => {
    const draftId = String((req.body as { draft?: unknown }).draft ?? '');
    const draft = await readImportDraft(deps.config.dataDir, draftId, staffOf(res).id);
    if (!draft) {
      return renderImportForm(req, res, 410, { status: 'pending' }, { file: 'This preview has expired or was already imported. Upload the list again.' });
    }
    // Removed before the import, so a second click cannot import the list twice.
    await discardImportDraft(deps.config.dataDir, draftId);
    // The preview the person just confirmed is the approval to email a large pending list.
    const result = await importSubscribers(db, rowsFromCsv(draft.csv), { ...draft.options, emailsApproved: true, sendRate: deps.config.sendRate });
    if (draft.options.status === 'pending' && result.added) deps.mailQueued();
    skipGenericAudit(res);
    await recordAudit(db, actorOf(res), {
      action: 'subscribers.import',
      entity: 'subscribers',
      details: { status: draft.options.status, added: result.added, updated: result.updated, skipped: result.skipped.length },
    });
    const mailed = draft.options.status === 'pending' && result.added ? ' Each new address gets a confirmation email.' : '';
    setFlash(res, `Imported: ${result.added} added, ${result.updated} updated, ${result.skipped.length} skipped.${mailed}`);
    res.redirect(303, '/admin/subscribers');
  });

  // ── Erasure, behind a typed confirmation ──────────────────────────────────────────────────

  async function subscriberOf(req: Request) {
    const id = Number(req.params.id);
    const subscriber = Number.isSafeInteger(id) && id > 0 ? await findSubscriberById(db, id) : undefined;
    if (!subscriber) throw new AppError(404, 'not_found', 'There is no such subscriber; they may have been erased already.');
    return subscriber;
  }

  const renderErase = async (req: Request, res: Response, status: number, error: string | null) => {
    const subscriber = await subscriberOf(req);
    renderConsole(req, res, 'subscribers/views/console-erase.njk', { title: `Erase ${subscriber.email}`, subscriber, error }, status);
  };

  router.get('/subscribers/:id/erase', csrf.provideToken, (req, res) => renderErase(req, res, 200, null));

  router.post('/subscribers/:id/erase', ...form, async (req, res) => {
    const subscriber = await subscriberOf(req);
    const typed = String((req.body as { confirmEmail?: unknown }).confirmEmail ?? '').trim().toLowerCase();
    if (typed !== subscriber.email) return renderErase(req, res, 422, 'Type the address exactly as shown to confirm the erasure.');
    await eraseSubscriber(deps, subscriber.email);
    setFlash(res, 'The subscriber is erased. Only a hash of the address is kept, so no import can bring them back.');
    res.redirect(303, '/admin/subscribers');
  });

  return router;
}
