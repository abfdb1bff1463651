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
  /** The call for entries' own sections (programme-pages.ts); FAQs as a JSON list. */
  shortlist_at?: unknown;
  ceremony_at?: unknown;
  eligibility?: string | null;
  judging_criteria?: string | null;
  faqs?: string | null;
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
    const chunk = keys.slice(i, i + 500);
    // A document held for a form or a draft is known too: the sweep leaves it to its own age rule.
    const rows: { storage_key: string }[] = await db('entry_documents')
      .whereIn('storage_key', chunk)
      .select('storage_key')
      .unionAll(db('held_documents').whereIn('storage_key', chunk).select('storage_key'));
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

// ---- Entrants: drafts, held documents, edits, "my entries" sign-ins, reminders ----

export interface DraftRow {
  id: number;
  programme_id: number;
  status: 'draft' | 'submitted';
  contact_email: string;
  contact_email_key: string;
  /** JSON of the form's fields as typed. */
  fields: string;
  nonce: string;
  entry_id: number | null;
  created_at: unknown;
  updated_at: unknown;
}

export async function insertDraft(db: Conn, row: Omit<DraftRow, 'id'>): Promise<number> {
  const [inserted] = await db('entry_drafts').insert(row).returning('id');
  return typeof inserted === 'object' ? inserted.id : inserted;
}

export function findDraftById(db: Conn, id: number): Promise<DraftRow | undefined> {
  return db('entry_drafts').where({ id }).first();
}

/** Changes a draft that is still a draft; 0 when it was submitted meanwhile. */
export function updateDraft(db: Conn, id: number, patch: Partial<Pick<DraftRow, 'contact_email' | 'contact_email_key' | 'fields' | 'updated_at'>>): Promise<number> {
  return db('entry_drafts').where({ id, status: 'draft' }).update(patch);
}

/** Marks a draft submitted as this entry; 0 when another request submitted it first. */
export function markDraftSubmitted(db: Conn, id: number, entryId: number, now: Date): Promise<number> {
  return db('entry_drafts').where({ id, status: 'draft' }).update({ status: 'submitted', entry_id: entryId, updated_at: now });
}

export type DraftListingRow = DraftRow & { programme_slug: string; programme_name: string; closes_at: unknown; opens_at: unknown };

function draftsWithProgrammes(db: Conn) {
  return db('entry_drafts')
    .join('programmes', 'programmes.id', 'entry_drafts.programme_id')
    .where('entry_drafts.status', 'draft')
    .select('entry_drafts.*', 'programmes.slug as programme_slug', 'programmes.name as programme_name', 'programmes.closes_at', 'programmes.opens_at');
}

export function listDraftsOfEmail(db: Conn, emailKey: string): Promise<DraftListingRow[]> {
  return draftsWithProgrammes(db).where('entry_drafts.contact_email_key', emailKey).orderBy('entry_drafts.id');
}

export function listDraftsPage(db: Conn, programmeId: number | undefined, offset: number, limit: number): Promise<DraftListingRow[]> {
  const query = draftsWithProgrammes(db);
  if (programmeId) query.where('entry_drafts.programme_id', programmeId);
  return query.orderBy('entry_drafts.id').offset(offset).limit(limit);
}

export async function countDrafts(db: Conn, programmeId: number | undefined): Promise<number> {
  const query = db('entry_drafts').where('status', 'draft');
  if (programmeId) query.where('programme_id', programmeId);
  const [{ n }] = await query.count({ n: '*' });
  return Number(n);
}

/** Drafts of programmes open at `now` whose deadline is before `until`: the ones a reminder may be due for. */
export function listDraftsClosingBefore(db: Conn, now: Date, until: Date): Promise<DraftListingRow[]> {
  return draftsWithProgrammes(db)
    .where('programmes.opens_at', '<=', now)
    .where('programmes.closes_at', '>', now)
    .where('programmes.closes_at', '<=', until)
    .orderBy('entry_drafts.id');
}

/** Queues reminder jobs; one whose unique_key exists (queued by any process) is left out. */
export function insertDraftReminderJobs(db: Conn, jobs: { kind: string; unique_key: string; draft_id: number; status: 'queued' | 'dropped' }[], now: Date) {
  if (!jobs.length) return Promise.resolve();
  const rows = jobs.map((job) => ({ ...job, attempts: 0, run_after: now, created_at: now }));
  return db('mail_jobs').insert(rows).onConflict('unique_key').ignore();
}

export interface HeldDocumentRow {
  id: number;
  storage_key: string;
  original_name: string;
  content_type: string;
  size_bytes: number;
  draft_id: number | null;
  created_at: unknown;
}

export function insertHeldDocuments(db: Conn, rows: Omit<HeldDocumentRow, 'id'>[]) {
  return rows.length ? db('held_documents').insert(rows) : Promise.resolve();
}

export function listHeldDocuments(db: Conn, storageKeys: string[]): Promise<HeldDocumentRow[]> {
  if (!storageKeys.length) return Promise.resolve([]);
  return db('held_documents').whereIn('storage_key', storageKeys).orderBy('id');
}

export function listDraftDocuments(db: Conn, draftId: number): Promise<HeldDocumentRow[]> {
  return db('held_documents').where({ draft_id: draftId }).orderBy('id');
}

/** Gives these held documents to the draft, and lets go of the draft's others (the sweep removes their files). */
export async function setDraftDocuments(db: Conn, draftId: number, storageKeys: string[]) {
  await db('held_documents').where({ draft_id: draftId }).whereNotIn('storage_key', storageKeys.length ? storageKeys : ['']).update({ draft_id: null });
  if (storageKeys.length) await db('held_documents').whereIn('storage_key', storageKeys).update({ draft_id: draftId });
}

export function deleteHeldDocuments(db: Conn, storageKeys: string[]) {
  return storageKeys.length ? db('held_documents').whereIn('storage_key', storageKeys).delete() : Promise.resolve(0);
}

/** Held documents no draft has and older than `before`: abandoned forms'. */
export function listAbandonedHeldDocuments(db: Conn, before: Date): Promise<HeldDocumentRow[]> {
  return db('held_documents').whereNull('draft_id').where('created_at', '<', before).orderBy('id').limit(1000);
}

/** Removes an entry's documents other than these (their files go with the sweep of orphans). */
export function deleteEntryDocumentsExcept(db: Conn, entryId: number, keepKeys: string[]) {
  return db('entry_documents').where({ entry_id: entryId }).whereNotIn('storage_key', keepKeys.length ? keepKeys : ['']).delete();
}

/** An entrant's change to their submitted entry, only while it is still submitted. */
export function updateSubmittedEntry(db: Conn, id: number, patch: Partial<EntryRow>): Promise<number> {
  return db('entries').where({ id, status: 'submitted' }).update(patch);
}

/** Whether any judge has been given the entry: judging has started on it. */
export async function hasScorecards(db: Conn, entryId: number): Promise<boolean> {
  return Boolean(await db('judging_scorecards').where({ entry_id: entryId }).first('id'));
}

export async function listEntryIdsWithScorecards(db: Conn, entryIds: number[]): Promise<Set<number>> {
  if (!entryIds.length) return new Set();
  const rows: { entry_id: number }[] = await db('judging_scorecards').whereIn('entry_id', entryIds).distinct('entry_id');
  return new Set(rows.map((r) => Number(r.entry_id)));
}

export type EntrantEntryRow = EntryRow & { programme_slug: string; programme_name: string; closes_at: unknown; opens_at: unknown; results_released_at: unknown; category_name: string };

export function listEntriesOfEmail(db: Conn, emailKey: string): Promise<EntrantEntryRow[]> {
  return db('entries')
    .join('programmes', 'programmes.id', 'entries.programme_id')
    .join('categories', 'categories.id', 'entries.category_id')
    .whereRaw('lower(entries.contact_email) = ?', [emailKey])
    .select('entries.*', 'programmes.slug as programme_slug', 'programmes.name as programme_name', 'programmes.closes_at', 'programmes.opens_at', 'programmes.results_released_at', 'categories.name as category_name')
    .orderBy('entries.id');
}

export interface SignInRow {
  id: number;
  email_key: string;
  nonce: string;
  created_at: unknown;
  expires_at: unknown;
  consumed_at: unknown;
}

export async function insertSignIn(db: Conn, row: Omit<SignInRow, 'id' | 'consumed_at'>): Promise<number> {
  const [inserted] = await db('entrant_sign_ins').insert(row).returning('id');
  return typeof inserted === 'object' ? inserted.id : inserted;
}

export function findSignInById(db: Conn, id: number): Promise<SignInRow | undefined> {
  return db('entrant_sign_ins').where({ id }).first();
}

/** Uses a sign-in link: 1 for the one request that does, 0 for any other (used, expired, wrong nonce). */
export function consumeSignIn(db: Conn, id: number, nonce: string, now: Date): Promise<number> {
  return db('entrant_sign_ins').where({ id, nonce }).whereNull('consumed_at').where('expires_at', '>', now).update({ consumed_at: now });
}

export async function hasEntriesOrDrafts(db: Conn, emailKey: string): Promise<boolean> {
  const entry = await db('entries').whereRaw('lower(contact_email) = ?', [emailKey]).first('id');
  return Boolean(entry ?? (await db('entry_drafts').where({ contact_email_key: emailKey, status: 'draft' }).first('id')));
}
