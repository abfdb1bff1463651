import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Config } from '../config';
import { isUniqueViolation, toDate, type Db } from '../db';
import { AppError, conflict, notFound, validationFailed } from '../errors';
import { hasMailJobForEntrySince, insertMailJobs } from '../mail/job-queries';
import { DAY, signToken, verifyToken } from '../tokens';
import {
  countEntriesByCategoryAndStatus,
  deleteHeldDocuments,
  markDraftSubmitted,
  countEntriesInCategoriesOutside,
  deleteCategoriesWithoutEntries,
  findCategory,
  findEntryByOrganisation,
  findEntryByReference,
  findEntryBySubmissionId,
  findProgrammeBySlug,
  insertCategories,
  insertDocuments,
  insertEntry,
  insertProgramme,
  insertStatusChange,
  listCategories,
  listDocuments,
  listProgrammes,
  listStatusChanges,
  takeNextEntryNumber,
  updateCategory,
  updateEntryStatus,
  updateProgramme as updateProgrammeRow,
  type CategoryRow,
  type EntryFilter,
  type EntryRow,
  type ProgrammeRow,
} from './queries';
import { countWords, entryInput, ENTRY_STATUSES, NEXT_STATUSES, type EntryInput, type ParsedEntry, type EntryStatus, type ProgrammeInput, type ProgrammePatch } from './schema';
import { formatInZone, parseInstant, programmeState, type ProgrammeState } from './time';
import type { StoredDocument } from './documents';
import { pageColumns, pageView } from './programme-pages';

/**
 * The rules of award programmes and entries, on plain values. Words: a programme is
 * "upcoming", "open" or "closed" by the clock; an entry is "submitted" when stored, then
 * moves through review to a final state.
 */

export interface AwardsDeps {
  db: Db;
  config: Pick<Config, 'secret' | 'baseUrl' | 'dataDir'>;
  mailQueued: () => void;
}

export const ENTRY_CONFIRMATION_MAIL = 'entry_confirmation';
export const ENTRY_DUPLICATE_ATTEMPT_MAIL = 'entry_duplicate_attempt';
const RECEIPT_TTL = 2 * 365 * DAY;

export interface Programme {
  row: ProgrammeRow;
  categories: CategoryRow[];
  opensAt: Date;
  closesAt: Date;
  state: ProgrammeState;
  deadline: string; // closesAt, written out in the programme's zone
  opens: string;
}

function toProgramme(row: ProgrammeRow, categories: CategoryRow[], now: Date): Programme {
  const opensAt = toDate(row.opens_at)!;
  const closesAt = toDate(row.closes_at)!;
  return {
    row,
    categories: categories.filter((c) => c.programme_id === row.id),
    opensAt,
    closesAt,
    state: programmeState(opensAt, closesAt, now),
    deadline: formatInZone(closesAt, row.time_zone),
    opens: formatInZone(opensAt, row.time_zone),
  };
}

const STATE_ORDER: Record<ProgrammeState, number> = { open: 0, upcoming: 1, closed: 2 };

/** Every programme with its categories: open ones first (soonest deadline first), then upcoming, then closed. */
export async function listProgrammesWithCategories(db: Db, now = new Date()): Promise<Programme[]> {
  const rows = await listProgrammes(db);
  const categories = await listCategories(db, rows.map((r) => r.id));
  return rows
    .map((row) => toProgramme(row, categories, now))
    .sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || (a.state === 'closed' ? b.closesAt.getTime() - a.closesAt.getTime() : a.closesAt.getTime() - b.closesAt.getTime()));
}

export async function findProgramme(db: Db, slug: string, now = new Date()): Promise<Programme> {
  const row = await findProgrammeBySlug(db, slug);
  if (!row) throw notFound('There is no award programme at this address.');
  return toProgramme(row, await listCategories(db, [row.id]), now);
}

/** The public JSON shape of a programme (GET /api/awards and the admin answers). */
export function programmeView(p: Programme) {
  return {
    slug: p.row.slug,
    code: p.row.code,
    name: p.row.name,
    description: p.row.description,
    opensAt: p.opensAt.toISOString(),
    closesAt: p.closesAt.toISOString(),
    timeZone: p.row.time_zone,
    senderName: p.row.sender_name ?? null,
    open: p.state === 'open',
    status: p.state,
    statementWords: { min: p.row.statement_min_words, max: p.row.statement_max_words },
    categories: p.categories.map((c) => ({ slug: c.slug, name: c.name, description: c.description, region: c.region })),
    results: { releaseAt: toDate(p.row.results_release_at)?.toISOString() ?? null, released: Boolean(p.row.results_released_at) },
    ...pageView(p.row),
  };
}

/**
 * The status an entrant may see. Until the programme's results are released every decision
 * (shortlisted, winner, not shortlisted) reads "under review"; the embargo holds on every
 * page and answer an entrant reaches.
 */
export function entrantStatus(status: string, programme: Pick<ProgrammeRow, 'results_released_at'>): string {
  if (programme.results_released_at) return status === 'submitted' || status === 'under_review' ? 'not_shortlisted' : status;
  return ['shortlisted', 'winner', 'not_shortlisted'].includes(status) ? 'under_review' : status;
}

function programmeDates(opensText: string, closesText: string, zone: string) {
  const opensAt = parseInstant(opensText, zone);
  const closesAt = parseInstant(closesText, zone);
  const fields: Record<string, string> = {};
  if (!opensAt) fields.opensAt = 'Give a date and time such as 2026-12-01T09:00:00Z.';
  if (!closesAt) fields.closesAt = 'Give a date and time such as 2027-03-31T23:59:00+01:00.';
  if (opensAt && closesAt && closesAt <= opensAt) fields.closesAt = 'Entries must close after they open.';
  if (Object.keys(fields).length) throw validationFailed(fields);
  return { opensAt: opensAt!, closesAt: closesAt! };
}

function checkWordRange(min: number, max: number) {
  if (max < min) throw validationFailed({ statementMaxWords: 'The most words must be at least the fewest.' });
}

export async function createProgramme(db: Db, input: ProgrammeInput, now = new Date()): Promise<Programme> {
  const { opensAt, closesAt } = programmeDates(input.opensAt, input.closesAt, input.timeZone);
  checkWordRange(input.statementMinWords, input.statementMaxWords);
  const page = pageColumns(input, input.timeZone, closesAt);
  try {
    await db.transaction(async (trx) => {
      const id = await insertProgramme(trx, {
        slug: input.slug,
        code: input.code,
        name: input.name,
        description: input.description,
        opens_at: opensAt,
        closes_at: closesAt,
        time_zone: input.timeZone,
        sender_name: input.senderName ?? null,
        statement_min_words: input.statementMinWords,
        statement_max_words: input.statementMaxWords,
        ...page,
        created_at: now,
        updated_at: now,
      });
      await insertCategories(trx, input.categories.map((c, position) => ({ programme_id: id, ...c, position })));
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('A programme with this slug or code already exists.', 'programme_exists');
    throw err;
  }
  return findProgramme(db, input.slug, now);
}

/**
 * Changes a programme: dates (extending a deadline is the common case), texts, word limits
 * and categories. Categories are matched by slug; one that is left out is removed only if
 * no entry is in it.
 */
export async function updateProgramme(db: Db, slug: string, patch: ProgrammePatch, now = new Date()): Promise<Programme> {
  const current = await findProgramme(db, slug, now);
  const zone = patch.timeZone ?? current.row.time_zone;
  const dates =
    patch.opensAt || patch.closesAt || patch.timeZone
      ? programmeDates(patch.opensAt ?? current.opensAt.toISOString(), patch.closesAt ?? current.closesAt.toISOString(), zone)
      : null;
  const min = patch.statementMinWords ?? current.row.statement_min_words;
  const max = patch.statementMaxWords ?? current.row.statement_max_words;
  checkWordRange(min, max);
  const page = pageColumns(patch, zone, dates?.closesAt ?? current.closesAt, current.row);

  await db.transaction(async (trx) => {
    await updateProgrammeRow(trx, current.row.id, {
      ...page,
      ...(patch.name ? { name: patch.name } : {}),
      ...(patch.description ? { description: patch.description } : {}),
      ...(dates ? { opens_at: dates.opensAt, closes_at: dates.closesAt, time_zone: zone } : {}),
      ...(patch.senderName !== undefined ? { sender_name: patch.senderName } : {}),
      statement_min_words: min,
      statement_max_words: max,
      updated_at: now,
    });
    if (patch.categories) {
      const slugs = patch.categories.map((c) => c.slug);
      if (await countEntriesInCategoriesOutside(trx, current.row.id, slugs)) {
        throw conflict('A category that already has entries cannot be removed.', 'category_in_use');
      }
      await deleteCategoriesWithoutEntries(trx, current.row.id, slugs);
      const existing = new Map(current.categories.map((c) => [c.slug, c]));
      const fresh: Omit<CategoryRow, 'id'>[] = [];
      for (const [position, c] of patch.categories.entries()) {
        const known = existing.get(c.slug);
        if (known) await updateCategory(trx, known.id, { name: c.name, description: c.description, region: c.region, position });
        else fresh.push({ programme_id: current.row.id, ...c, position });
      }
      await insertCategories(trx, fresh);
    }
  });
  return findProgramme(db, slug, now);
}

// What someone could slip into a name to enter twice unseen: format characters (zero-width
// spaces and joiners, bidi controls, the soft hyphen) and the rest Unicode calls ignorable.
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;

/**
 * The organisation's duplicate key: "Acme  Bank ", "acme bank", "Acme\u200bBank" against
 * "AcmeBank", fullwidth "Ａｃｍｅ" and NFD "Cafe\u0301" against "Café" each count as one.
 * NFKC folds compatibility forms (fullwidth, ligatures, composed accents); upper- then
 * lower-casing folds case as Unicode's full case folding does for ß and final sigma.
 * migrations/20261201120000_organisation_keys.ts holds a copy, as migrations import nothing from src/.
 */
export const organisationKey = (name: string) =>
  name.normalize('NFKC').replace(INVISIBLE, '').toUpperCase().toLowerCase().normalize('NFKC').replace(/\s+/g, ' ').trim();

export interface EntrySubmission {
  programme: Programme;
  input: EntryInput;
  documents: StoredDocument[];
  source: 'form' | 'api';
  /** The form's one-time id; a repeat of the same form returns the first entry. */
  submissionId: string | null;
  /** The documents were held for the form (or draft): their held rows go as the entry takes them. */
  heldKeys?: string[];
  /** The draft this submission completes: marked submitted in the same transaction. */
  draftId?: number;
}

/**
 * Every problem with an entry in one pass: the fields' own, whether the category exists and
 * the statement's length (checked even while other fields are wrong), in the form's order.
 * A programme that is not open is refused first, as nothing else matters then.
 */
export async function checkEntry(db: Db, programme: Programme, parsed: ParsedEntry, now = new Date()): Promise<{ input: EntryInput; category: CategoryRow }> {
  if (programmeState(programme.opensAt, programme.closesAt, now) !== 'open') {
    throw conflict(
      programme.state === 'upcoming' ? `Entries open on ${programme.opens}.` : `Entries closed on ${programme.deadline}.`,
      'programme_not_open',
    );
  }
  const found: Record<string, string> = parsed.ok ? {} : { ...parsed.fields };
  const values = parsed.ok ? parsed.data : parsed.partial;
  const category = values.category === undefined ? undefined : await findCategory(db, programme.row.id, values.category);
  if (values.category !== undefined && !category) found.category ??= 'Choose a category from the list.';
  if (values.statement !== undefined) {
    const words = countWords(values.statement);
    const { statement_min_words: min, statement_max_words: max } = programme.row;
    if (words < min || words > max) found.statement ??= `The statement must have between ${min} and ${max} words; it has ${words}.`;
  }
  if (!parsed.ok || !category || Object.keys(found).length) {
    const order = Object.keys(entryInput.shape);
    const rank = (field: string) => (order.includes(field) ? order.indexOf(field) : order.length);
    throw validationFailed(Object.fromEntries(Object.entries(found).sort(([a], [b]) => rank(a) - rank(b))));
  }
  return { input: parsed.data, category };
}

// Says nothing of who entered or when: anyone can type a competitor's name.
const DUPLICATE_MESSAGE = 'An entry for this organisation in this category has already been received; if you think this is wrong, contact us.';
export const duplicateError = () => new AppError(409, 'duplicate_entry', DUPLICATE_MESSAGE, { organisation: DUPLICATE_MESSAGE });

/** A notice per first entry at most this often, so repeated attempts cannot flood its contact. */
const DUPLICATE_NOTICE_EVERY_MS = 60 * 60_000;

/** Queues the notice to the first entry's contact that a second entry was attempted (and stores nothing else). */
async function queueDuplicateNotice(db: Db | Knex.Transaction, first: EntryRow, now: Date): Promise<boolean> {
  if (await hasMailJobForEntrySince(db, ENTRY_DUPLICATE_ATTEMPT_MAIL, first.id, new Date(now.getTime() - DUPLICATE_NOTICE_EVERY_MS))) return false;
  await insertMailJobs(db, [{ kind: ENTRY_DUPLICATE_ATTEMPT_MAIL, entry_id: first.id }], now);
  return true;
}

/**
 * Stores an entry with its documents and queues its confirmation email, all in one
 * transaction: the reference is taken from the programme's counter inside it. A second
 * entry of the organisation in the category stores nothing and is refused without naming
 * the first; the first entry's contact is told instead.
 */
export async function submitEntry(deps: AwardsDeps, submission: EntrySubmission, now = new Date()): Promise<EntryRow> {
  const { programme, input } = submission;
  const { category } = await checkEntry(deps.db, programme, { ok: true, data: input }, now);
  const key = organisationKey(input.organisation);

  const attempt = () =>
    deps.db.transaction(async (trx) => {
      if (submission.submissionId) {
        const repeat = await findEntryBySubmissionId(trx, submission.submissionId);
        if (repeat) return { entry: repeat, repeated: true };
      }
      const earlier = await findEntryByOrganisation(trx, programme.row.id, category.id, key);
      if (earlier) return { duplicateOf: earlier, noticeQueued: await queueDuplicateNotice(trx, earlier, now) };

      const number = await takeNextEntryNumber(trx, programme.row.id);
      const row: Omit<EntryRow, 'id'> = {
        programme_id: programme.row.id,
        category_id: category.id,
        reference: `${programme.row.code}-${String(number).padStart(5, '0')}`,
        status: 'submitted',
        organisation: input.organisation,
        organisation_key: key,
        nominee: input.nominee,
        country: input.country,
        website: input.website,
        contact_name: input.contactName,
        job_title: input.jobTitle,
        contact_email: input.contactEmail,
        contact_phone: input.contactPhone,
        statement: input.statement,
        source: submission.source,
        submission_id: submission.submissionId,
        receipt_nonce: randomBytes(12).toString('base64url'),
        not_for_publication: input.notForPublication.length ? JSON.stringify(input.notForPublication) : null,
        consent_at: now,
        created_at: now,
        updated_at: now,
      };
      const id = await insertEntry(trx, row);
      await insertStatusChange(trx, { entry_id: id, from_status: null, to_status: 'submitted', note: `Submitted via ${submission.source}`, created_at: now });
      await insertDocuments(
        trx,
        submission.documents.map((d) => ({
          entry_id: id,
          storage_key: d.storageKey,
          original_name: d.originalName,
          content_type: d.contentType,
          size_bytes: d.sizeBytes,
          created_at: now,
        })),
      );
      await deleteHeldDocuments(trx, submission.heldKeys ?? []);
      if (submission.draftId && !(await markDraftSubmitted(trx, submission.draftId, id, now))) {
        throw conflict('This draft has already been submitted.', 'draft_submitted');
      }
      await insertMailJobs(trx, [{ kind: ENTRY_CONFIRMATION_MAIL, entry_id: id }], now);
      return { entry: { id, ...row }, repeated: false };
    });

  let result: Awaited<ReturnType<typeof attempt>>;
  try {
    result = await attempt();
  } catch (err) {
    // A concurrent twin (double-click, or the same organisation at the same moment) won the race.
    if (!isUniqueViolation(err)) throw err;
    const twin = submission.submissionId ? await findEntryBySubmissionId(deps.db, submission.submissionId) : undefined;
    if (twin) return twin;
    const earlier = await findEntryByOrganisation(deps.db, programme.row.id, category.id, key);
    if (!earlier) throw err;
    result = { duplicateOf: earlier, noticeQueued: await queueDuplicateNotice(deps.db, earlier, now) };
  }
  if ('duplicateOf' in result) {
    if (result.noticeQueued) deps.mailQueued();
    throw duplicateError();
  }
  if (result.repeated) return result.entry;
  deps.mailQueued();
  return result.entry;
}

/** The private receipt link sent to the entrant. */
export function receiptUrl(deps: Pick<AwardsDeps, 'config'>, programmeSlug: string, entry: Pick<EntryRow, 'id' | 'reference' | 'receipt_nonce'>) {
  const token = signToken(deps.config.secret, { purpose: 'receipt', subject: String(entry.id), nonce: entry.receipt_nonce }, RECEIPT_TTL);
  return `${deps.config.baseUrl}/awards/${programmeSlug}/entries/${entry.reference}?token=${encodeURIComponent(token)}`;
}

/** The entry a receipt link shows, or null for any link that is not exactly right. */
export async function findEntryForReceipt(deps: AwardsDeps, programmeSlug: string, reference: string, token: unknown) {
  const check = verifyToken(deps.config.secret, token, 'receipt');
  if (!check.ok) return null;
  const entry = await findEntryByReference(deps.db, reference);
  if (!entry || String(entry.id) !== check.claims.subject || entry.receipt_nonce !== check.claims.nonce) return null;
  const programme = await findProgrammeBySlug(deps.db, programmeSlug);
  if (!programme || programme.id !== entry.programme_id) return null;
  return entry;
}

/** An entry with its documents and audit trail, for admins. */
export async function entryDetails(db: Db, entry: EntryRow) {
  const [documents, history] = await Promise.all([listDocuments(db, [entry.id]), listStatusChanges(db, entry.id)]);
  return { entry, documents, history };
}

export async function changeEntryStatus(db: Db, reference: string, to: EntryStatus, note: string | null, actor: string | null, now = new Date()) {
  const entry = await findEntryByReference(db, reference);
  if (!entry) throw notFound('There is no entry with this reference.');
  const from = entry.status as EntryStatus;
  if (!NEXT_STATUSES[from].includes(to)) {
    const allowed = NEXT_STATUSES[from];
    throw conflict(
      `An entry that is ${from} cannot become ${to}${allowed.length ? `; it can become ${allowed.join(' or ')}` : ''}.`,
      'invalid_transition',
    );
  }
  await db.transaction(async (trx) => {
    const changed = await updateEntryStatus(trx, entry.id, from, to, now);
    if (!changed) throw conflict('The entry changed meanwhile; reload it and try again.', 'invalid_transition');
    await insertStatusChange(trx, { entry_id: entry.id, from_status: from, to_status: to, note, actor, created_at: now });
  });
  return entryDetails(db, { ...entry, status: to, updated_at: now });
}

export type EntryCounts = Record<EntryStatus, number> & { total: number };

const noEntries = (): EntryCounts => ({ ...(Object.fromEntries(ENTRY_STATUSES.map((s) => [s, 0])) as Record<EntryStatus, number>), total: 0 });

export interface ProgrammeWithCounts extends Programme {
  entries: EntryCounts;
  /** By category id. */
  categoryEntries: Map<number, EntryCounts>;
}

/** Programmes in listing order (open first), each with its entry counts by status, overall and per category. */
export async function listProgrammesWithEntryCounts(db: Db, now = new Date()): Promise<ProgrammeWithCounts[]> {
  const programmes = await listProgrammesWithCategories(db, now);
  const rows = await countEntriesByCategoryAndStatus(db, programmes.map((p) => p.row.id));
  return programmes.map((p) => {
    const entries = noEntries();
    const categoryEntries = new Map(p.categories.map((c) => [c.id, noEntries()]));
    for (const row of rows.filter((r) => r.programme_id === p.row.id)) {
      const n = Number(row.n);
      const category = categoryEntries.get(row.category_id);
      for (const counts of category ? [entries, category] : [entries]) {
        // A status this build does not know (a newer one) still counts in the total.
        if (row.status in counts) counts[row.status as EntryStatus] += n;
        counts.total += n;
      }
    }
    return { ...p, entries, categoryEntries };
  });
}

/** The admin JSON shape: the public one with entry counts by status, overall and per category. */
export function programmeAdminView(p: ProgrammeWithCounts) {
  const view = programmeView(p);
  return {
    ...view,
    entries: p.entries,
    categories: view.categories.map((c, i) => ({ ...c, entries: p.categoryEntries.get(p.categories[i].id) ?? noEntries() })),
  };
}

/** Turns the list's slugs into a filter: a category is only meaningful with its programme. */
export async function resolveEntryFilter(db: Db, query: { programme?: string; category?: string; status?: string; q?: string }): Promise<EntryFilter> {
  const filter: EntryFilter = { status: query.status || undefined, q: query.q || undefined };
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
  return filter;
}
