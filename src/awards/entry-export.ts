import type { Response } from 'express';
import { toDate, type Db } from '../db';
import { sendCsv } from '../http/listing';
import { listEntriesPage, type EntryFilter } from './queries';

const COLUMNS = ['reference', 'status', 'programme', 'category', 'organisation', 'nominee', 'country', 'website', 'contact_name', 'job_title', 'contact_email', 'contact_phone', 'statement', 'created_at'];

/** The filtered entries as CSV: one shape for the API's ?format=csv and the console's export link. */
export function sendEntriesCsv(res: Response, db: Db, filter: EntryFilter) {
  return sendCsv(res, 'entries.csv', COLUMNS, (offset, limit) => listEntriesPage(db, filter, offset, limit), (e) => [
    e.reference, e.status, e.programme_slug, e.category_slug, e.organisation, e.nominee, e.country, e.website,
    e.contact_name, e.job_title, e.contact_email, e.contact_phone, e.statement, toDate(e.created_at)?.toISOString() ?? null,
  ]);
}
