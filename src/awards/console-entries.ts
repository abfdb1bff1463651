import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { recordAudit } from '../audit/service';
import { queryString, statusLabel, utcMinute } from '../console/format';
import { renderConsole, setFlash } from '../console/render';
import { EDITORS } from '../console/screens';
import type { Db } from '../db';
import { AppError, notFound } from '../errors';
import { formBody } from '../http/body';
import type { Csrf } from '../http/csrf';
import { actorOf, requireRole } from '../http/staff-session';
import { fieldErrors } from '../http/validate';
import { sendDocument } from './documents';
import { sendEntriesCsv } from './entry-export';
import { countEntries, findDocumentByKey, findEntryListing, listEntriesPage, type EntryListingRow } from './queries';
import { ENTRY_STATUSES, entryListQuery, NEXT_STATUSES, statusChange, type EntryStatus } from './schema';
import { changeEntryStatus, entryDetails, listProgrammesWithCategories, resolveEntryFilter } from './service';

// The console shows at most 100 entries a page, so a bulk selection stays well inside one form.
const MAX_PAGE = 100;
const listQuery = entryListQuery.extend({
  page: z.coerce.number({ error: 'page must be a whole number' }).int().min(1, 'page starts at 1').default(1),
  pageSize: z.coerce.number({ error: 'pageSize must be a whole number' }).int().min(1).max(MAX_PAGE, `pageSize is at most ${MAX_PAGE}`).default(50),
});
const FILTER_KEYS = ['programme', 'category', 'status', 'q'] as const;

const bulkChange = statusChange.extend({
  status: z.enum(ENTRY_STATUSES, { error: 'Choose the new status.' }),
  references: z
    .union([z.string(), z.array(z.string())], { error: 'Tick at least one entry.' })
    .transform((v) => [...new Set(Array.isArray(v) ? v : [v])])
    .pipe(z.array(z.string().max(40)).min(1, 'Tick at least one entry.').max(MAX_PAGE, `Move at most ${MAX_PAGE} entries at once.`)),
  back: z.string().max(1000).optional(),
});

const statusOptions = ENTRY_STATUSES.map((s) => ({ value: s, label: statusLabel(s) }));

/** Where the bulk form returns: the list it was sent from, keeping only the list's own parameters. */
function listAddress(back: string | undefined) {
  const given = new URLSearchParams(back ?? '');
  const kept = Object.fromEntries(['programme', 'category', 'status', 'q', 'page', 'pageSize'].map((k) => [k, given.get(k)]));
  const query = queryString(kept);
  return `/admin/entries${query ? `?${query}` : ''}`;
}

function entryRow(e: EntryListingRow) {
  return {
    reference: e.reference,
    status: statusLabel(e.status),
    organisation: e.organisation,
    nominee: e.nominee,
    programme: e.programme_slug,
    category: e.category_name,
    country: e.country,
    createdAt: utcMinute(e.created_at),
  };
}

/** "Moved 2 entries to shortlisted. Not moved: X-00003 (an entry that is winner cannot become shortlisted)." */
export function bulkOutcome(moved: number, to: EntryStatus, failures: { reference: string; message: string }[]) {
  const parts = [`Moved ${moved} ${moved === 1 ? 'entry' : 'entries'} to ${statusLabel(to)}.`];
  const byReason = new Map<string, string[]>();
  // The reason without its advice ("; it can become …"), so entries refused alike share one line.
  for (const f of failures) {
    const reason = f.message.split(';')[0];
    byReason.set(reason, [...(byReason.get(reason) ?? []), f.reference]);
  }
  for (const [message, references] of byReason) {
    const shown = references.slice(0, 5).join(', ') + (references.length > 5 ? ` and ${references.length - 5} more` : '');
    parts.push(`Not moved: ${shown} (${message.replace(/\.$/, '').replace(/^An/, 'an')}).`);
  }
  return parts.join(' ');
}

/** The entries screen (editors and admins): the filtered list, its CSV, bulk status changes, each entry's page. */
export function entryConsoleRoutes(deps: { db: Db; config: { dataDir: string }; csrf: Csrf }): Router {
  const router = Router();
  const { db, csrf } = deps;
  const post = (fields = 200) => [...formBody('100kb', fields), csrf.protect, csrf.provideToken];
  router.use('/entries', requireRole(...EDITORS));

  router.get('/entries', csrf.provideToken, async (req, res) => {
    const programmes = await listProgrammesWithCategories(db);
    // A GET form sends every filter, the unused ones empty: those filter nothing.
    const raw = Object.fromEntries(Object.entries(req.query as Record<string, unknown>).filter(([, v]) => v !== '')) as Record<string, string | undefined>;
    const parsed = listQuery.safeParse(raw);
    const values = Object.fromEntries(FILTER_KEYS.map((k) => [k, typeof raw[k] === 'string' ? raw[k] : '']));
    const chosen = programmes.find((p) => p.row.slug === values.programme);
    const page = {
      title: 'Entries',
      values,
      programmes: programmes.map((p) => ({ slug: p.row.slug, name: p.row.name })),
      categories: chosen?.categories.map((c) => ({ slug: c.slug, name: c.name })) ?? [],
      statuses: statusOptions,
    };

    let errors: Record<string, string> = {};
    let filter;
    if (!parsed.success) errors = fieldErrors(parsed.error);
    else {
      try {
        filter = await resolveEntryFilter(db, parsed.data);
      } catch (err) {
        if (!(err instanceof AppError) || !err.fields) throw err;
        errors = err.fields;
      }
    }
    if (!parsed.success || !filter) return renderConsole(req, res, 'awards/views/console-entries.njk', { ...page, errors, entries: [], total: 0 }, 422);

    const query = parsed.data;
    if (query.format === 'csv') return sendEntriesCsv(res, db, filter);
    const [total, rows] = await Promise.all([countEntries(db, filter), listEntriesPage(db, filter, (query.page - 1) * query.pageSize, query.pageSize)]);
    const filters = queryString({ ...Object.fromEntries(FILTER_KEYS.map((k) => [k, query[k]])), pageSize: query.pageSize === 50 ? undefined : query.pageSize });
    renderConsole(req, res, 'awards/views/console-entries.njk', {
      ...page,
      errors,
      entries: rows.map(entryRow),
      total,
      page: query.page,
      pages: Math.max(1, Math.ceil(total / query.pageSize)),
      pageQuery: filters,
      back: queryString({ ...Object.fromEntries(new URLSearchParams(filters)), page: query.page > 1 ? query.page : undefined }),
      csvUrl: `/admin/entries?${filters}${filters ? '&' : ''}format=csv`,
    });
  });

  // Each entry moves through the same rule as the API's PATCH; one that may not move is reported, not fatal.
  router.post('/entries/bulk', ...post(MAX_PAGE + 10), async (req, res) => {
    const parsed = bulkChange.safeParse(req.body);
    const back = listAddress(typeof req.body?.back === 'string' ? req.body.back : undefined);
    if (!parsed.success) {
      setFlash(res, Object.values(fieldErrors(parsed.error)).join(' '), 'error');
      return res.redirect(303, back);
    }
    const { references, status, note } = parsed.data;
    const actor = actorOf(res);
    let moved = 0;
    const failures: { reference: string; message: string }[] = [];
    for (const reference of references) {
      try {
        await changeEntryStatus(db, reference, status, note || null, actor.label);
        await recordAudit(db, actor, { action: 'entries.status', entity: 'entries', entityId: reference, details: { status, bulk: true } });
        moved++;
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        failures.push({ reference, message: err.message });
      }
    }
    setFlash(res, bulkOutcome(moved, status, failures), failures.length ? 'error' : 'ok');
    res.redirect(303, back);
  });

  async function renderEntry(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
    const row = await findEntryListing(db, String(req.params.reference));
    if (!row) throw notFound('There is no entry with this reference.');
    const { documents, history } = await entryDetails(db, row);
    const programme = (await listProgrammesWithCategories(db)).find((p) => p.row.id === row.programme_id);
    renderConsole(req, res, 'awards/views/console-entry.njk', {
      title: `Entry ${row.reference}`,
      entry: {
        ...entryRow(row),
        statusValue: row.status,
        programmeName: programme?.row.name ?? row.programme_slug,
        website: row.website,
        contactName: row.contact_name,
        jobTitle: row.job_title,
        contactEmail: row.contact_email,
        contactPhone: row.contact_phone,
        statement: row.statement,
        source: row.source,
        updatedAt: utcMinute(row.updated_at),
      },
      documents: documents.map((d) => ({
        name: d.original_name,
        type: d.content_type,
        size: d.size_bytes < 1024 * 1024 ? `${Math.max(1, Math.round(d.size_bytes / 1024))} KB` : `${(d.size_bytes / 1024 / 1024).toFixed(1)} MB`,
        url: `/admin/entries/${encodeURIComponent(row.reference)}/documents/${encodeURIComponent(d.storage_key)}`,
      })),
      history: history.map((h) => ({ at: utcMinute(h.created_at), from: h.from_status ? statusLabel(h.from_status) : null, to: statusLabel(h.to_status), note: h.note, by: h.actor ?? 'the entrant' })),
      next: NEXT_STATUSES[row.status as EntryStatus]?.map((s) => ({ value: s, label: statusLabel(s) })) ?? [],
      values: {},
      errors: {},
      ...extra,
    }, status);
  }

  router.get('/entries/:reference', csrf.provideToken, (req, res) => renderEntry(req, res));

  router.get('/entries/:reference/documents/:key', async (req, res) => {
    const [entry, document] = await Promise.all([findEntryListing(db, String(req.params.reference)), findDocumentByKey(db, String(req.params.key))]);
    if (!entry || !document || document.entry_id !== entry.id) throw notFound('There is no document at this address.');
    sendDocument(res, deps.config.dataDir, document);
  });

  router.post('/entries/:reference/status', ...post(), async (req, res) => {
    const parsed = statusChange.safeParse(req.body);
    const values = { status: req.body?.status, note: req.body?.note };
    if (!parsed.success) return renderEntry(req, res, 422, { values, errors: fieldErrors(parsed.error) });
    const reference = String(req.params.reference);
    try {
      await changeEntryStatus(db, reference, parsed.data.status, parsed.data.note || null, actorOf(res).label);
    } catch (err) {
      if (err instanceof AppError && err.status === 409) return renderEntry(req, res, 409, { values, errors: { status: err.message } });
      throw err;
    }
    setFlash(res, `Entry ${reference} moved to ${statusLabel(parsed.data.status)}.`);
    res.redirect(303, `/admin/entries/${encodeURIComponent(reference)}`);
  });

  return router;
}
