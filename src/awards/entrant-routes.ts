import { Router, type Request, type RequestHandler, type Response } from 'express';
import { AppError } from '../errors';
import { formBody, requireContentType } from '../http/body';
import { discardUploads, uploadedFiles } from './documents';
import { draftValues, findDraftForLink } from './drafts';
import { entryLockReason, withdrawByEntrant } from './entry-editing';
import { entryDocuments, entryValues, handleEntryPost, relative, renderEntryForm, type FormTarget } from './entry-form';
import { resolveFormDocuments } from './held-documents';
import { myEntriesRoutes } from './my-entries-routes';
import { findCategoryById, listDraftDocuments, type EntryRow } from './queries';
import { findEntryForReceipt, findProgramme, receiptUrl, type Programme } from './service';
import type { RouteDeps } from './routes';

/** Runs a middleware as a promise, so the route can clean up after it fails. */
const run = (mw: RequestHandler, req: Request, res: Response) =>
  new Promise<void>((resolve, reject) => mw(req, res, (err?: unknown) => (err ? reject(err) : resolve())));

const invalidLink = () => new AppError(400, 'invalid_token', 'This link is not valid or has expired. Use the latest link we emailed you, or ask for a new one from “My entries”.');

type Resolved = { p: Programme; target: FormTarget } | { reply: () => void };

/**
 * The entry form's POST, for whichever form `resolve` finds: CSRF first, then the form,
 * and the uploads multer left in incoming/ are removed before the answer goes out.
 */
export function entryFormPost(deps: RouteDeps, resolve: (req: Request, res: Response) => Promise<Resolved>): RequestHandler {
  return async (req, res) => {
    const files = uploadedFiles(req.files);
    let reply: () => void;
    try {
      await run(deps.csrf.protect, req, res);
      await run(deps.csrf.provideToken, req, res);
      const found = await resolve(req, res);
      reply = 'reply' in found ? found.reply : await handleEntryPost(deps, req, res, found.p, found.target, files);
    } finally {
      await discardUploads(files);
    }
    reply();
  };
}

/** Drafts, editing and withdrawing through the private links, and "my entries". */
export function entrantRoutes(deps: RouteDeps, upload: RequestHandler): Router {
  const router = Router();
  const { csrf, limitPublicPosts } = deps;
  const multipart = [limitPublicPosts, requireContentType(['multipart/form-data'], 'a multipart form (multipart/form-data)'), upload];

  router.use(myEntriesRoutes(deps));

  const lockedPage = (res: Response, status: number, p: Programme, message: string, entry?: EntryRow, token?: string) =>
    res.status(status).render('awards/views/entry-locked.njk', {
      title: 'This entry cannot be changed',
      programme: p.row,
      message,
      receiptPath: entry && token ? `/awards/${p.row.slug}/entries/${entry.reference}?token=${encodeURIComponent(token)}` : null,
    });

  async function draftTarget(req: Request, res: Response): Promise<Resolved> {
    const slug = String(req.params.programme);
    const draft = await findDraftForLink(deps, slug, String(req.params.id), req.query.token);
    if (!draft) throw invalidLink();
    const p = await findProgramme(deps.db, slug);
    const status = req.method === 'GET' ? 200 : 409;
    if (draft.status !== 'draft') return { reply: () => lockedPage(res, status, p, 'This draft has been submitted: use the link in your confirmation email to see or change the entry.') };
    if (p.state !== 'open') return { reply: () => lockedPage(res, status, p, `Entries closed on ${p.deadline}: this draft can no longer be submitted.`) };
    return { p, target: { kind: 'draft', draft, token: String(req.query.token) } };
  }

  router.get('/awards/:programme/drafts/:id', csrf.provideToken, async (req, res) => {
    const found = await draftTarget(req, res);
    if ('reply' in found) return found.reply();
    const { p, target } = found;
    if (target.kind !== 'draft') return;
    const documents = await resolveFormDocuments(deps.db, (await listDraftDocuments(deps.db, target.draft.id)).map((d) => d.storage_key), { draftId: target.draft.id });
    const saved = req.query.saved === 'new' ? 'Your draft is saved. We have emailed you a link to continue it.' : req.query.saved === 'again' ? 'Your draft is saved.' : undefined;
    renderEntryForm(deps, res, p, target, { status: 200, values: draftValues(target.draft), errors: {}, documents, notice: saved });
  });

  router.post('/awards/:programme/drafts/:id', ...multipart, entryFormPost(deps, draftTarget));

  async function entryTarget(req: Request, res: Response): Promise<Resolved> {
    const slug = String(req.params.programme);
    const entry = await findEntryForReceipt(deps, slug, String(req.params.reference), req.query.token);
    if (!entry) throw invalidLink();
    const p = await findProgramme(deps.db, slug);
    const token = String(req.query.token);
    const reason = await entryLockReason(deps, entry, p);
    if (reason) return { reply: () => lockedPage(res, req.method === 'GET' ? 200 : 409, p, reason, entry, token) };
    return { p, target: { kind: 'entry', entry, token } };
  }

  router.get('/awards/:programme/entries/:reference/edit', csrf.provideToken, async (req, res) => {
    const found = await entryTarget(req, res);
    if ('reply' in found) return found.reply();
    const { p, target } = found;
    if (target.kind !== 'entry') return;
    const category = await findCategoryById(deps.db, target.entry.category_id);
    renderEntryForm(deps, res, p, target, { status: 200, values: entryValues(target.entry, category?.slug ?? ''), errors: {}, documents: await entryDocuments(deps, target.entry) });
  });

  router.post('/awards/:programme/entries/:reference/edit', ...multipart, entryFormPost(deps, entryTarget));

  async function withdrawable(req: Request) {
    const slug = String(req.params.programme);
    const entry = await findEntryForReceipt(deps, slug, String(req.params.reference), req.query.token);
    if (!entry) throw invalidLink();
    return { entry, p: await findProgramme(deps.db, slug), token: String(req.query.token) };
  }

  router.get('/awards/:programme/entries/:reference/withdraw', csrf.provideToken, async (req, res) => {
    const { entry, p, token } = await withdrawable(req);
    res.set('Cache-Control', 'private, no-store');
    res.render('awards/views/withdraw.njk', {
      title: `Withdraw entry ${entry.reference}`,
      entry,
      programme: p.row,
      action: `/awards/${p.row.slug}/entries/${entry.reference}/withdraw?token=${encodeURIComponent(token)}`,
      receiptPath: relative(receiptUrl(deps, p.row.slug, entry)),
      alreadyWithdrawn: entry.status === 'withdrawn',
    });
  });

  router.post('/awards/:programme/entries/:reference/withdraw', limitPublicPosts, ...formBody(), csrf.protect, async (req, res) => {
    const { entry, p, token } = await withdrawable(req);
    try {
      await withdrawByEntrant(deps, entry);
    } catch (err) {
      if (err instanceof AppError && err.code === 'invalid_transition') return lockedPage(res, 409, p, 'This entry can no longer be withdrawn: its judging has finished.', entry, token);
      throw err;
    }
    res.redirect(303, `${relative(receiptUrl(deps, p.row.slug, entry))}&updated=withdrawn`);
  });

  return router;
}
