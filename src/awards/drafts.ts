import { randomBytes } from 'node:crypto';
import { conflict } from '../errors';
import { insertMailJobs } from '../mail/job-queries';
import { signToken, verifyToken } from '../tokens';
import { findDraftById, findProgrammeBySlug, insertDraft, setDraftDocuments, updateDraft, type DraftRow } from './queries';
import type { DraftInput } from './schema';
import type { AwardsDeps, Programme } from './service';
import { programmeState } from './time';

/**
 * Drafts: an entry being written. A draft is not an entry: it has no reference (that is
 * given at submission), it is in no review list, count or judging round, and the
 * duplicate-entry rule is applied only when it is submitted. Its private link names the
 * draft's id and carries its nonce.
 */
export const DRAFT_SAVED_MAIL = 'entry_draft_saved';
const DRAFT_LINK_TTL = 400 * 24 * 60 * 60; // outlives any call for entries

export type DraftFields = Omit<DraftInput, 'contactEmail'> & { contactEmail: string };

export function draftPath(secret: string, programmeSlug: string, draft: Pick<DraftRow, 'id' | 'nonce'>) {
  const token = signToken(secret, { purpose: 'draft', subject: String(draft.id), nonce: draft.nonce }, DRAFT_LINK_TTL);
  return `/awards/${programmeSlug}/drafts/${draft.id}?token=${encodeURIComponent(token)}`;
}

export const draftUrl = (deps: Pick<AwardsDeps, 'config'>, programmeSlug: string, draft: Pick<DraftRow, 'id' | 'nonce'>) =>
  deps.config.baseUrl + draftPath(deps.config.secret, programmeSlug, draft);

/** The draft a link opens, or null for a link that is not exactly right. */
export async function findDraftForLink(deps: AwardsDeps, programmeSlug: string, id: string, token: unknown): Promise<DraftRow | null> {
  const check = verifyToken(deps.config.secret, token, 'draft');
  if (!check.ok || check.claims.subject !== id) return null;
  const draft = await findDraftById(deps.db, Number(id));
  if (!draft || draft.nonce !== check.claims.nonce) return null;
  const programme = await findProgrammeBySlug(deps.db, programmeSlug);
  return programme && programme.id === draft.programme_id ? draft : null;
}

export const draftValues = (draft: DraftRow): DraftFields => JSON.parse(draft.fields) as DraftFields;

function assertOpen(programme: Programme, now: Date) {
  if (programmeState(programme.opensAt, programme.closesAt, now) !== 'open') {
    throw conflict(programme.state === 'upcoming' ? `Entries open on ${programme.opens}.` : `Entries closed on ${programme.deadline}.`, 'programme_not_open');
  }
}

/** Saves a new draft with the documents held for its form, and queues the "continue your entry" email. */
export async function createDraft(deps: AwardsDeps, programme: Programme, input: DraftInput, documentKeys: string[], now = new Date()): Promise<DraftRow> {
  assertOpen(programme, now);
  const row: Omit<DraftRow, 'id'> = {
    programme_id: programme.row.id,
    status: 'draft',
    contact_email: input.contactEmail,
    contact_email_key: input.contactEmail.toLowerCase(),
    fields: JSON.stringify(input),
    nonce: randomBytes(12).toString('base64url'),
    entry_id: null,
    created_at: now,
    updated_at: now,
  };
  const id = await deps.db.transaction(async (trx) => {
    const draftId = await insertDraft(trx, row);
    await setDraftDocuments(trx, draftId, documentKeys);
    await insertMailJobs(trx, [{ kind: DRAFT_SAVED_MAIL, draft_id: draftId }], now);
    return draftId;
  });
  deps.mailQueued();
  return { id, ...row };
}

/** Saves a draft again. A changed contact address gets the link too (it is where reminders go). */
export async function saveDraft(deps: AwardsDeps, programme: Programme, draft: DraftRow, input: DraftInput, documentKeys: string[], now = new Date()): Promise<DraftRow> {
  assertOpen(programme, now);
  const emailChanged = draft.contact_email_key !== input.contactEmail.toLowerCase();
  const patch = { contact_email: input.contactEmail, contact_email_key: input.contactEmail.toLowerCase(), fields: JSON.stringify(input), updated_at: now };
  await deps.db.transaction(async (trx) => {
    if (!(await updateDraft(trx, draft.id, patch))) throw conflict('This draft has already been submitted.', 'draft_submitted');
    await setDraftDocuments(trx, draft.id, documentKeys);
    if (emailChanged) await insertMailJobs(trx, [{ kind: DRAFT_SAVED_MAIL, draft_id: draft.id }], now);
  });
  if (emailChanged) deps.mailQueued();
  return { ...draft, ...patch };
}
