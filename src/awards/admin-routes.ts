import { Router } from 'express';
import { z } from 'zod';
import { toDate, type Db } from '../db';
import { notFound } from '../errors';
import { jsonBody } from '../http/body';
import { pageQuery, wantsCsv } from '../http/listing';
import { parseInput, parseQuery } from '../http/validate';
import { sendDocument } from './documents';
import { sendEntriesCsv } from './entry-export';
import {
  countDrafts,
  countEntries,
  findDocumentByKey,
  findEntryByReference,
  findEntryListing,
  listDraftsPage,
  listEntriesPage,
  type DocumentRow,
  type DraftListingRow,
  type EntryRow,
  type StatusChangeRow,
} from './queries';
import { entryListQuery, programmeInput, programmePatch, statusChange } from './schema';
import { actorOf } from '../http/staff-session';
import {
  changeEntryStatus,
  createProgramme,
  entryDetails,
  listProgrammesWithEntryCounts,
  programmeAdminView,
  programmeView,
  resolveEntryFilter,
  updateProgramme,
} from './service';

const iso = (value: unknown) => toDate(value)?.toISOString() ?? null;

const draftListQuery = z.object({ status: z.literal('draft'), programme: z.string().trim().max(80).optional() });

function draftView(draft: DraftListingRow) {
  const fields = JSON.parse(draft.fields) as Record<string, unknown>;
  return {
    draft: draft.id,
    status: 'draft',
    programme: draft.programme_slug,
    category: fields.category || null,
    organisation: fields.organisation || null,
    contactEmail: draft.contact_email,
    createdAt: iso(draft.created_at),
    updatedAt: iso(draft.updated_at),
  };
}

function entryView(
  entry: EntryRow & { programme_slug?: string; category_slug?: string },
  documents?: DocumentRow[],
  history?: StatusChangeRow[],
) {
  return {
    reference: entry.reference,
    status: entry.status,
    programme: entry.programme_slug,
    category: entry.category_slug,
    organisation: entry.organisation,
    nominee: entry.nominee,
    country: entry.country,
    website: entry.website,
    contactName: entry.contact_name,
    jobTitle: entry.job_title,
    contactEmail: entry.contact_email,
    contactPhone: entry.contact_phone,
    statement: entry.statement,
    source: entry.source,
    createdAt: iso(entry.created_at),
    updatedAt: iso(entry.updated_at),
    ...(documents
      ? {
          documents: documents.map((d) => ({
            name: d.original_name,
            contentType: d.content_type,
            sizeBytes: d.size_bytes,
            url: `/api/admin/documents/${d.storage_key}`,
          })),
        }
      : {}),
    ...(history ? { history: history.map((h) => ({ at: iso(h.created_at), from: h.from_status, to: h.to_status, note: h.note, by: h.actor ?? null })) } : {}),
  };
}

/** Programmes and entry review for admins (mounted under /api/admin, behind the bearer token). */
export function awardAdminRoutes(deps: { db: Db; config: { dataDir: string } }): Router {
  const router = Router();
  const { db } = deps;

  router.post('/awards', ...jsonBody(), async (req, res) => {
    const programme = await createProgramme(db, parseInput(programmeInput, req.body));
    res.status(201).json(programmeView(programme));
  });

  router.patch('/awards/:programme', ...jsonBody(), async (req, res) => {
    const programme = await updateProgramme(db, String(req.params.programme), parseInput(programmePatch, req.body));
    res.json(programmeView(programme));
  });

  router.get('/awards', async (req, res) => {
    const query = parseQuery(pageQuery, req.query);
    const programmes = await listProgrammesWithEntryCounts(db);
    const start = (query.page - 1) * query.pageSize;
    // Programmes are few (tens), and their order depends on the clock, so the page is cut here.
    res.json({ items: programmes.slice(start, start + query.pageSize).map(programmeAdminView), total: programmes.length, page: query.page, pageSize: query.pageSize });
  });

  router.get('/entries', async (req, res) => {
    // Drafts are not entries: they are listed only when asked for by name.
    if (req.query.status === 'draft') {
      const query = parseQuery(draftListQuery.extend(pageQuery.shape), req.query);
      const { programmeId } = await resolveEntryFilter(db, { programme: query.programme });
      const [total, rows] = await Promise.all([countDrafts(db, programmeId), listDraftsPage(db, programmeId, (query.page - 1) * query.pageSize, query.pageSize)]);
      return void res.json({ items: rows.map(draftView), total, page: query.page, pageSize: query.pageSize });
    }
    const query = parseQuery(entryListQuery.extend(pageQuery.shape), req.query);
    const filter = await resolveEntryFilter(db, query);
    if (query.format === 'csv' || (!query.format && wantsCsv(req))) return sendEntriesCsv(res, db, filter);
    const [total, rows] = await Promise.all([countEntries(db, filter), listEntriesPage(db, filter, (query.page - 1) * query.pageSize, query.pageSize)]);
    res.json({ items: rows.map((row) => entryView(row)), total, page: query.page, pageSize: query.pageSize });
  });

  async function detailed(reference: string) {
    const row = await findEntryListing(db, reference);
    if (!row) throw notFound('There is no entry with this reference.');
    const { documents, history } = await entryDetails(db, row);
    return entryView(row, documents, history);
  }

  router.get('/entries/:reference', async (req, res) => {
    res.json(await detailed(String(req.params.reference)));
  });

  router.patch('/entries/:reference', ...jsonBody(), async (req, res) => {
    const input = parseInput(statusChange, req.body);
    const reference = String(req.params.reference);
    if (!(await findEntryByReference(db, reference))) throw notFound('There is no entry with this reference.');
    await changeEntryStatus(db, reference, input.status, input.note ?? null, actorOf(res).label);
    res.json(await detailed(reference));
  });

  // Documents are only ever served behind the admin token (or a console session), as downloads.
  router.get('/documents/:key', async (req, res) => {
    sendDocument(res, deps.config.dataDir, await findDocumentByKey(db, String(req.params.key)));
  });

  return router;
}
