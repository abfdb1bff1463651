import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { AppError } from '../errors';
import { COUNTRIES } from './countries';
import { checkDocuments, MAX_DOCUMENTS } from './documents';
import { createDraft, draftPath, saveDraft } from './drafts';
import { updateEntryByEntrant } from './entry-editing';
import { heldDocumentsToken, holdUploads, readHeldDocumentsToken, resolveFormDocuments, type FormDocument } from './held-documents';
import { listDocuments, type DraftRow, type EntryRow } from './queries';
import { draftInput, parseEntryInput, type EntryInput } from './schema';
import { checkEntry, receiptUrl, submitEntry, type AwardsDeps, type Programme } from './service';
import { fieldErrors } from '../http/validate';

/**
 * The entry form, for a new entry, a draft being continued, or a submitted entry being
 * edited: one page and one POST handler. Documents are held server-side from the first
 * post (see held-documents.ts); "remove" is a submit button, so it works without scripts.
 */
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

export type FormTarget =
  | { kind: 'new' }
  | { kind: 'draft'; draft: DraftRow; token: string }
  | { kind: 'entry'; entry: EntryRow; token: string };

type Values = Record<string, unknown>;

function formAction(p: Programme, target: FormTarget) {
  if (target.kind === 'new') return `/awards/${p.row.slug}/entries`;
  if (target.kind === 'draft') return `/awards/${p.row.slug}/drafts/${target.draft.id}?token=${encodeURIComponent(target.token)}`;
  return `/awards/${p.row.slug}/entries/${target.entry.reference}/edit?token=${encodeURIComponent(target.token)}`;
}

export interface FormView {
  status: number;
  values: Values;
  errors: Record<string, string>;
  documents: FormDocument[];
  notice?: string;
}

export function renderEntryForm(deps: AwardsDeps, res: Response, p: Programme, target: FormTarget, view: FormView) {
  const heading = target.kind === 'entry' ? `Edit entry ${target.entry.reference}` : target.kind === 'draft' ? `Continue your entry to ${p.row.name}` : `Enter ${p.row.name}`;
  if (target.kind !== 'new') {
    res.set('Cache-Control', 'private, no-store');
    res.set('Referrer-Policy', 'no-referrer');
  }
  res.status(view.status).render('awards/views/enter.njk', {
    title: heading,
    heading,
    p,
    mode: target.kind,
    action: formAction(p, target),
    values: view.values,
    errors: view.errors,
    notice: view.notice,
    documents: view.documents,
    heldDocuments: heldDocumentsToken(deps.config.secret, view.documents),
    maxDocuments: MAX_DOCUMENTS,
    labels: ENTRY_LABELS,
    countries: COUNTRIES,
    submissionId: randomBytes(16).toString('hex'),
    withdrawUrl: target.kind === 'entry' ? `/awards/${p.row.slug}/entries/${target.entry.reference}/withdraw?token=${encodeURIComponent(target.token)}` : null,
  });
}

/** The form's values as posted, every field a string (checkboxes as lists), for re-rendering. */
export function postedValues(body: Record<string, unknown>): Values {
  const values: Values = Object.fromEntries(Object.keys(ENTRY_LABELS).map((k) => [k, typeof body[k] === 'string' ? body[k] : '']));
  values.notForPublication = [body.notForPublication].flat().filter((v) => typeof v === 'string');
  return values;
}

/** A submitted entry as the form's values. */
export function entryValues(entry: EntryRow, category: string): Values {
  return {
    category,
    organisation: entry.organisation,
    nominee: entry.nominee ?? '',
    country: entry.country,
    website: entry.website,
    contactName: entry.contact_name,
    jobTitle: entry.job_title,
    contactEmail: entry.contact_email,
    contactPhone: entry.contact_phone ?? '',
    statement: entry.statement,
    consent: 'on',
    notForPublication: entry.not_for_publication ? (JSON.parse(entry.not_for_publication) as string[]) : [],
  };
}

export async function entryDocuments(deps: AwardsDeps, entry: EntryRow): Promise<FormDocument[]> {
  return (await listDocuments(deps.db, [entry.id])).map((d) => ({ storageKey: d.storage_key, originalName: d.original_name, contentType: d.content_type, sizeBytes: d.size_bytes, source: 'entry' as const }));
}

const ownerOf = (target: FormTarget) => (target.kind === 'draft' ? { draftId: target.draft.id } : target.kind === 'entry' ? { entryId: target.entry.id } : {});

/** The path and query of an absolute link of ours, for a redirect. */
export const relative = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};

/**
 * Handles a post of the form: holds new uploads, applies a "remove" button, then saves the
 * draft (action=save) or submits / updates the entry. Returns the answer to send, so the
 * route can clean up uploads before answering.
 */
export async function handleEntryPost(deps: AwardsDeps, req: Request, res: Response, p: Programme, target: FormTarget, files: Express.Multer.File[]): Promise<() => void> {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const values = postedValues(body);
  const errors: Record<string, string> = {};
  let documents = await resolveFormDocuments(deps.db, readHeldDocumentsToken(deps.config.secret, body.heldDocuments), ownerOf(target));
  const form = (status: number, found: Record<string, string>, notice?: string) => () => renderEntryForm(deps, res, p, target, { status, values, errors: found, documents, notice });

  if (target.kind === 'new' && body.homepage) return () => res.redirect(303, `/awards/${p.row.slug}`); // honeypot: store nothing

  if (files.length) {
    const checked = await checkDocuments(files);
    if (!checked.ok) errors.documents = checked.message;
    else if (documents.length + files.length > MAX_DOCUMENTS) errors.documents = `Attach at most ${MAX_DOCUMENTS} documents in all: remove one to add another.`;
    else documents = [...documents, ...(await holdUploads(deps.db, deps.config.dataDir, files, checked.types))];
  }
  if (typeof body.removeDocument === 'string') {
    const removed = documents.find((d) => d.storageKey === body.removeDocument);
    documents = documents.filter((d) => d.storageKey !== body.removeDocument);
    if (errors.documents) return form(422, errors);
    return form(200, {}, removed ? `${removed.originalName} was removed${target.kind === 'new' ? '' : '; save to keep the change'}.` : undefined);
  }

  try {
    if (body.action === 'save' && target.kind !== 'entry') {
      const parsed = draftInput.safeParse(body);
      if (!parsed.success) Object.assign(errors, fieldErrors(parsed.error));
      if (!parsed.success || errors.documents) return form(422, errors);
      const keys = documents.map((d) => d.storageKey);
      const draft = target.kind === 'new' ? await createDraft(deps, p, parsed.data, keys) : await saveDraft(deps, p, target.draft, parsed.data, keys);
      const notice = target.kind === 'new' ? 'new' : 'again';
      return () => res.redirect(303, `${draftPath(deps.config.secret, p.row.slug, draft)}&saved=${notice}`);
    }

    let input: EntryInput | null = null;
    try {
      ({ input } = await checkEntry(deps.db, p, parseEntryInput(body)));
    } catch (err) {
      if (!(err instanceof AppError) || !err.fields) throw err;
      Object.assign(errors, err.fields);
    }
    if (!input || errors.documents) return form(422, errors);

    if (target.kind === 'entry') {
      const changed = await updateEntryByEntrant(deps, { programme: p, entry: target.entry, input, documents });
      const receipt = relative(receiptUrl(deps, p.row.slug, target.entry));
      return () => res.redirect(303, `${receipt}&updated=${changed.length ? 'yes' : 'none'}`);
    }
    const submissionId = typeof body.submissionId === 'string' && /^[a-f0-9]{32}$/.test(body.submissionId) ? body.submissionId : null;
    const entry = await submitEntry(deps, {
      programme: p,
      input,
      documents,
      source: 'form',
      submissionId,
      heldKeys: documents.map((d) => d.storageKey),
      draftId: target.kind === 'draft' ? target.draft.id : undefined,
    });
    return () => res.redirect(303, relative(receiptUrl(deps, p.row.slug, entry)));
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    if (err.fields) return form(422, err.fields);
    if (err.code === 'programme_not_open' && target.kind === 'new') return form(409, {});
    if (['programme_not_open', 'entry_locked', 'draft_submitted'].includes(err.code)) {
      return () => res.status(409).render('awards/views/entry-locked.njk', { title: 'This entry cannot be changed', programme: p.row, message: err.message });
    }
    throw err;
  }
}
