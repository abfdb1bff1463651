import { Router } from 'express';
import { toDate, type Db } from '../db';
import { notFound, validationFailed } from '../errors';
import { jsonBody } from '../http/body';
import { pageQuery, sendCsv, wantsCsv } from '../http/listing';
import { parseInput } from '../http/validate';
import { sendDocument } from './documents';
import {
  countEntries,
  findCategory,
  findDocumentByKey,
  findEntryByReference,
  findEntryListing,
  findProgrammeBySlug,
  listEntriesPage,
  type DocumentRow,
  type EntryFilter,
  type EntryRow,
  type StatusChangeRow,
} from './queries';
import { entryListQuery, programmeInput, programmePatch, statusChange } from './schema';
import { actorOf } from '../http/staff-session';
import { changeEntryStatus, createProgramme, entryDetails, programmeView, updateProgramme } from './service';

const iso = (value: unknown) => toDate(value)?.toISOString() ?? null;

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

  router.get('/entries', async (req, res) => {
    const query = parseInput(entryListQuery.extend(pageQuery.shape), req.query);
    const filter: EntryFilter = { status: query.status, q: query.q || undefined };
    if (query.programme) {
      const programme = await findProgrammeBySlug(db, query.programme);
      if (!programme) throw validationFailed({ programme: 'No programme has this slug.' });
      filter.programmeId = programme.id;
      if (query.category) {
        const category = await findCategory(db, programme.id, query.category);
        if (!category) throw validationFailed({ category: 'This programme has no category with this slug.' });
        filter.categoryId = category.id;
      }
    } else if (query.category) {
      throw validationFailed({ category: 'Filter by category together with its programme.' });
    }

    if (query.format === 'csv' || (!query.format && wantsCsv(req))) {
      const columns = ['reference', 'status', 'programme', 'category', 'organisation', 'nominee', 'country', 'website', 'contact_name', 'job_title', 'contact_email', 'contact_phone', 'statement', 'created_at'];
      return sendCsv(res, 'entries.csv', columns, (offset, limit) => listEntriesPage(db, filter, offset, limit), (e) => [
        e.reference, e.status, e.programme_slug, e.category_slug, e.organisation, e.nominee, e.country, e.website,
        e.contact_name, e.job_title, e.contact_email, e.contact_phone, e.statement, iso(e.created_at),
      ]);
    }
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

  // Documents are only ever served here, behind the admin token, as downloads.
  router.get('/documents/:key', async (req, res) => {
    sendDocument(res, deps.config.dataDir, await findDocumentByKey(db, String(req.params.key)));
  });

  return router;
}
