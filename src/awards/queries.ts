import type { Knex } from 'knex';
import type { Db } from '../db';

/** The awards' SQL, one named function per statement. */

type Conn = Db | Knex.Transaction;

export interface ProgrammeRow {
  id: number;
  slug: string;
  code: string;
  name: string;
  description: string;
  opens_at: unknown;
  closes_at: unknown;
  time_zone: string;
  /** The name its emails are sent under (MAIL_FROM's address); null: MAIL_FROM's name. */
  sender_name?: string | null;
  statement_min_words: number;
  statement_max_words: number;
  entry_sequence: number;
  /** When the results become public (set by an admin), and when they were (by the releasing process). */
  results_release_at?: unknown;
  results_released_at?: unknown;
  created_at: unknown;
  updated_at: unknown;
}

export interface CategoryRow {
  id: number;
  programme_id: number;
  slug: string;
  name: string;
  description: string;
  region: string | null;
  position: number;
}

/** Programmes taking entries at `now`, soonest deadline first (also used by the digest's call-for-entries block). */
export function listOpenProgrammes(db: Conn, now = new Date()): Promise<ProgrammeRow[]> {
  return db('programmes').where('opens_at', '<=', now).where('closes_at', '>', now).orderBy('closes_at').orderBy('id');
}

export interface EntryRow {
  id: number;
  programme_id: number;
  category_id: number;
  reference: string;
  status: string;
  organisation: string;
  organisation_key: string;
  nominee: string | null;
  country: string;
  website: string;
  contact_name: string;
  job_title: string;
  contact_email: string;
  contact_phone: string | null;
  statement: string;
  source: string;
  submission_id: string | null;
  receipt_nonce: string;
  /** JSON array of the fields (nominee, website) the winners page must not show; null for none. */
  not_for_publication?: string | null;
  consent_at: unknown;
  created_at: unknown;
  updated_at: unknown;
}

export interface DocumentRow {
  id: number;
  entry_id: number;
  storage_key: string;
  original_name: string;
  content_type: string;
  size_bytes: number;
  created_at: unknown;
}

export interface StatusChangeRow {
  id: number;
  entry_id: number;
  from_status: string | null;
  to_status: string;
  note: string | null;
  /** Who made the change (a staff address, "operator token"); null for the entrant's own submission. */
  actor?: string | null;
  created_at: unknown;
}

export function listProgrammes(db: Conn): Promise<ProgrammeRow[]> {
  return db('programmes').orderBy('closes_at', 'desc').orderBy('id');
}

export function findProgrammeBySlug(db: Conn, slug: string): Promise<ProgrammeRow | undefined> {
  return db('programmes').where({ slug }).first();
}

export function findProgrammeById(db: Conn, id: number): Promise<ProgrammeRow | undefined> {
  return db('programmes').where({ id }).first();
}

export async function insertProgramme(db: Conn, row: Omit<ProgrammeRow, 'id' | 'entry_sequence'>): Promise<number> {
  const [inserted] = await db('programmes').insert({ ...row, entry_sequence: 0 }).returning('id');
  return typeof inserted === 'object' ? inserted.id : inserted;
}

export function updateProgramme(db: Conn, id: number, patch: Partial<ProgrammeRow>) {
  return db('programmes').where({ id }).update(patch);
}

/**
 * Takes the programme's next reference number. The UPDATE locks the programme row until
 * the transaction ends (PostgreSQL) or holds the single writer lock (SQLite), so two
 * concurrent entries never get the same number.
 */
export async function takeNextEntryNumber(trx: Knex.Transaction, programmeId: number): Promise<number> {
  await trx('programmes').where({ id: programmeId }).increment('entry_sequence', 1);
  const row = await trx('programmes').where({ id: programmeId }).first('entry_sequence');
  return Number(row.entry_sequence);
}

export function listCategories(db: Conn, programmeIds: number[]): Promise<CategoryRow[]> {
  if (!programmeIds.length) return Promise.resolve([]);
  return db('categories').whereIn('programme_id', programmeIds).orderBy('position').orderBy('id');
}

export function findCategory(db: Conn, programmeId: number, slug: string): Promise<CategoryRow | undefined> {
  return db('categories').where({ programme_id: programmeId, slug }).first();
}

export function insertCategories(db: Conn, rows: Omit<CategoryRow, 'id'>[]) {
  return rows.length ? db('categories').insert(rows) : Promise.resolve();
}

export function updateCategory(db: Conn, id: number, patch: Partial<CategoryRow>) {
  return db('categories').where({ id }).update(patch);
}

export function deleteCategoriesWithoutEntries(db: Conn, programmeId: number, keepSlugs: string[]) {
  return db('categories')
    .where({ programme_id: programmeId })
    .whereNotIn('slug', keepSlugs)
    .whereNotExists(db('entries').whereRaw('entries.category_id = categories.id'))
    .delete();
}

export function countEntriesInCategoriesOutside(db: Conn, programmeId: number, keepSlugs: string[]) {
  return db('entries')
    .join('categories', 'categories.id', 'entries.category_id')
    .where('entries.programme_id', programmeId)
    .whereNotIn('categories.slug', keepSlugs)
    .count({ n: '*' })
    .then(([{ n }]) => Number(n));
}

export async function insertEntry(db: Conn, row: Omit<EntryRow, 'id'>): Promise<number> {
  const [inserted] = await db('entries').insert(row).returning('id');
  return typeof inserted === 'object' ? inserted.id : inserted;
}

export function findEntryBySubmissionId(db: Conn, submissionId: string): Promise<EntryRow | undefined> {
  return db('entries').where({ submission_id: submissionId }).first();
}

export function findEntryByOrganisation(db: Conn, programmeId: number, categoryId: number, organisationKey: string): Promise<EntryRow | undefined> {
  return db('entries').where({ programme_id: programmeId, category_id: categoryId, organisation_key: organisationKey }).first();
}

export function findEntryByReference(db: Conn, reference: string): Promise<EntryRow | undefined> {
  return db('entries').where({ reference }).first();
}

export function findEntryById(db: Conn, id: number): Promise<EntryRow | undefined> {
  return db('entries').where({ id }).first();
}

export function updateEntryStatus(db: Conn, id: number, from: string, to: string, now: Date): Promise<number> {
  return db('entries').where({ id, status: from }).update({ status: to, updated_at: now });
}

export function insertStatusChange(db: Conn, row: Omit<StatusChangeRow, 'id'>) {
  return db('entry_status_changes').insert(row);
}

export function listStatusChanges(db: Conn, entryId: number): Promise<StatusChangeRow[]> {
  return db('entry_status_changes').where({ entry_id: entryId }).orderBy('id');
}

export function insertDocuments(db: Conn, rows: Omit<DocumentRow, 'id'>[]) {
  return rows.length ? db('entry_documents').insert(rows) : Promise.resolve();
}

export function listDocuments(db: Conn, entryIds: number[]): Promise<DocumentRow[]> {
  if (!entryIds.length) return Promise.resolve([]);
  return db('entry_documents').whereIn('entry_id', entryIds).orderBy('id');
}

export function findDocumentByKey(db: Conn, storageKey: string): Promise<DocumentRow | undefined> {
  return db('entry_documents').where({ storage_key: storageKey }).first();
}

export interface EntryFilter {
  programmeId?: number;
  categoryId?: number;
  status?: string;
  q?: string;
}

function filteredEntries(db: Conn, filter: EntryFilter) {
  const query = db('entries');
  if (filter.programmeId) query.where('entries.programme_id', filter.programmeId);
  if (filter.categoryId) query.where('entries.category_id', filter.categoryId);
  if (filter.status) query.where('entries.status', filter.status);
  if (filter.q) {
    // Case-insensitive on both engines: compare lower-cased columns with a lower-cased pattern.
    const pattern = `%${filter.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query.where((w) => {
      for (const column of ['organisation', 'nominee', 'contact_name', 'contact_email', 'reference']) {
        w.orWhereRaw(`lower(entries.${column}) like ? escape '\\'`, [pattern]);
      }
    });
  }
  return query;
}

export async function countEntries(db: Conn, filter: EntryFilter): Promise<number> {
  const [{ n }] = await filteredEntries(db, filter).count({ n: '*' });
  return Number(n);
}

export type EntryListingRow = EntryRow & { programme_slug: string; category_slug: string; category_name: string };

function entriesWithNames(db: Conn, filter: EntryFilter) {
  return filteredEntries(db, filter)
    .join('programmes', 'programmes.id', 'entries.programme_id')
    .join('categories', 'categories.id', 'entries.category_id')
    .select('entries.*', 'programmes.slug as programme_slug', 'categories.slug as category_slug', 'categories.name as category_name');
}

export function listEntriesPage(db: Conn, filter: EntryFilter, offset: number, limit: number): Promise<EntryListingRow[]> {
  return entriesWithNames(db, filter).orderBy('entries.id').offset(offset).limit(limit);
}

export function findEntryListing(db: Conn, reference: string): Promise<EntryListingRow | undefined> {
  return entriesWithNames(db, {}).where('entries.reference', reference).first();
}

export function findCategoryById(db: Conn, id: number): Promise<CategoryRow | undefined> {
  return db('categories').where({ id }).first();
}

/** Of these storage keys, the ones a document row names (in chunks: engines cap bound parameters). */
export async function listKnownStorageKeys(db: Conn, keys: string[]): Promise<Set<string>> {
  const known = new Set<string>();
  for (let i = 0; i < keys.length; i += 500) {
    const rows: { storage_key: string }[] = await db('entry_documents').whereIn('storage_key', keys.slice(i, i + 500)).select('storage_key');
    for (const row of rows) known.add(row.storage_key);
  }
  return known;
}

export interface EntryCountRow {
  programme_id: number;
  category_id: number;
  status: string;
  n: number | string;
}

/** How many entries each category of these programmes holds, by status. */
export function countEntriesByCategoryAndStatus(db: Conn, programmeIds: number[]): Promise<EntryCountRow[]> {
  if (!programmeIds.length) return Promise.resolve([]);
  return db('entries')
    .whereIn('programme_id', programmeIds)
    .groupBy('programme_id', 'category_id', 'status')
    .select('programme_id', 'category_id', 'status', db.raw('count(*) as n'));
}
