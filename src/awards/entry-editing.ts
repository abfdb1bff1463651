import { recordAudit } from '../audit/service';
import type { Actor } from '../audit/schema';
import { isUniqueViolation } from '../db';
import { conflict } from '../errors';
import { insertMailJobs } from '../mail/job-queries';
import type { FormDocument } from './held-documents';
import {
  deleteEntryDocumentsExcept,
  deleteHeldDocuments,
  findEntryByOrganisation,
  hasScorecards,
  insertDocuments,
  listDocuments,
  updateSubmittedEntry,
  type EntryRow,
} from './queries';
import type { EntryInput } from './schema';
import { changeEntryStatus, checkEntry, duplicateError, organisationKey, type AwardsDeps, type Programme } from './service';
import { programmeState } from './time';

/**
 * An entrant's changes to an entry they submitted: allowed until the programme's deadline
 * while the entry is still "submitted" and no judge has been given it (an assignment in
 * judging_scorecards is where judging starts). Each change goes in the audit log with the
 * names of the fields changed, never their values.
 */
export const ENTRY_UPDATED_MAIL = 'entry_updated';
export const ENTRANT: Actor = Object.freeze({ type: 'entrant', staffId: null, label: 'the entrant', role: 'judge' }); // the role is unused for the entrant: nothing checks it

/** Why the entry can no longer be changed, or null while it can. */
export function lockReason(entry: Pick<EntryRow, 'status'>, programme: Programme, judged: boolean, now = new Date()): string | null {
  if (entry.status === 'withdrawn') return 'This entry has been withdrawn, so it can no longer be changed.';
  if (programmeState(programme.opensAt, programme.closesAt, now) === 'closed') return `Entries closed on ${programme.deadline}, so this entry can no longer be changed.`;
  if (entry.status !== 'submitted' || judged) return 'Judging has started on this entry, so it can no longer be changed.';
  return null;
}

export async function entryLockReason(deps: AwardsDeps, entry: EntryRow, programme: Programme, now = new Date()) {
  return lockReason(entry, programme, await hasScorecards(deps.db, entry.id), now);
}

const FIELD_COLUMNS: [keyof EntryInput, keyof EntryRow][] = [
  ['organisation', 'organisation'],
  ['nominee', 'nominee'],
  ['country', 'country'],
  ['website', 'website'],
  ['contactName', 'contact_name'],
  ['jobTitle', 'job_title'],
  ['contactEmail', 'contact_email'],
  ['contactPhone', 'contact_phone'],
  ['statement', 'statement'],
];

/** Applies an entrant's edit; returns the names of the fields that changed (none: nothing is written). */
export async function updateEntryByEntrant(
  deps: AwardsDeps,
  args: { programme: Programme; entry: EntryRow; input: EntryInput; documents: FormDocument[] },
  now = new Date(),
): Promise<string[]> {
  const { programme, entry, input, documents } = args;
  const reason = await entryLockReason(deps, entry, programme, now);
  if (reason) throw conflict(reason, 'entry_locked');
  const { category } = await checkEntry(deps.db, programme, { ok: true, data: input }, now);

  const patch: Partial<EntryRow> = {};
  const changed: string[] = [];
  if (category.id !== entry.category_id) {
    patch.category_id = category.id;
    changed.push('category');
  }
  for (const [field, column] of FIELD_COLUMNS) {
    if ((input[field] ?? null) !== (entry[column] ?? null)) {
      (patch as Record<string, unknown>)[column] = input[field];
      changed.push(field);
    }
  }
  const notForPublication = input.notForPublication.length ? JSON.stringify(input.notForPublication) : null;
  if (notForPublication !== (entry.not_for_publication ?? null)) {
    patch.not_for_publication = notForPublication;
    changed.push('notForPublication');
  }
  const kept = documents.filter((d) => d.source === 'entry').map((d) => d.storageKey);
  const added = documents.filter((d) => d.source === 'held');
  const entryDocumentCount = (await listDocuments(deps.db, [entry.id])).length;
  if (added.length || kept.length !== entryDocumentCount) changed.push('documents');
  if (!changed.length) return changed;
  patch.organisation_key = organisationKey(input.organisation);
  patch.updated_at = now;

  if (patch.organisation_key !== entry.organisation_key || patch.category_id) {
    const other = await findEntryByOrganisation(deps.db, programme.row.id, category.id, patch.organisation_key);
    if (other && other.id !== entry.id) throw duplicateError();
  }
  try {
    await deps.db.transaction(async (trx) => {
      if (!(await updateSubmittedEntry(trx, entry.id, patch))) throw conflict('Judging has started on this entry, so it can no longer be changed.', 'entry_locked');
      await deleteEntryDocumentsExcept(trx, entry.id, kept);
      await insertDocuments(
        trx,
        added.map((d) => ({ entry_id: entry.id, storage_key: d.storageKey, original_name: d.originalName, content_type: d.contentType, size_bytes: d.sizeBytes, created_at: now })),
      );
      await deleteHeldDocuments(trx, added.map((d) => d.storageKey));
      await recordAudit(trx, ENTRANT, { action: 'entries.entrant_edit', entity: 'entries', entityId: entry.reference, details: { fields: changed } }, now);
      await insertMailJobs(trx, [{ kind: ENTRY_UPDATED_MAIL, entry_id: entry.id }], now);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateError();
    throw err;
  }
  deps.mailQueued();
  return changed;
}

/** The entrant withdraws their entry, through the status change every other change uses (so its history records it). */
export function withdrawByEntrant(deps: AwardsDeps, entry: EntryRow, now = new Date()) {
  return changeEntryStatus(deps.db, entry.reference, 'withdrawn', 'Withdrawn by the entrant', ENTRANT.label, now);
}
