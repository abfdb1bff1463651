import type { Knex } from 'knex';
import type { Actor } from '../audit/schema';
import { recordAudit } from '../audit/service';
import { findEntryById, findEntryByReference, type EntryRow } from '../awards/queries';
import { findProgramme } from '../awards/service';
import { parseInstant } from '../awards/time';
import { isUniqueViolation, toDate, type Db } from '../db';
import { AppError, conflict, notFound, validationFailed } from '../errors';
import { insertUniqueMailJobs } from '../mail/job-queries';
import {
  claimResultsRelease,
  countLoads,
  countRoundProgress,
  deleteScorecard,
  findConflict,
  findRoundById,
  findScorecard,
  findScorecardById,
  findStaffByEmails,
  insertConflict,
  insertCriteria,
  insertPanelMembers,
  insertRound,
  insertRoundCategories,
  insertScorecard,
  insertScorecards,
  isEntryInRound,
  listActivePanel,
  listConflictPairs,
  listCriteria,
  listDueReleases,
  listLeaderboardRows,
  listResultEntryIds,
  listRoundCategories,
  listRoundEntries,
  listRoundsOfProgramme,
  listScorecardPairs,
  listScores,
  reopenSubmittedScorecard,
  replaceScores,
  setResultsReleaseAt,
  updateOpenScorecard,
  type CriterionRow,
  type JudgeRow,
  type RoundCategoryRow,
  type RoundRow,
  type ScorecardRow,
} from './queries';
import { COMMENT_MAX, type RoundInput } from './schema';

/**
 * The rules of judging, on plain values. Words: a round judges the entries of its
 * categories; a scorecard is one judge's assignment to one entry in one round, "assigned"
 * until saved ("draft") and locked once "submitted"; a conflict takes a judge off an entry
 * for good; the release makes a programme's results public, once.
 */

export const RESULT_MAIL = 'results_outcome';

type Conn = Db | Knex.Transaction;
const iso = (value: unknown) => toDate(value)?.toISOString() ?? null;
const byLoadThenEmail = (loads: Map<number, number>) => (a: JudgeRow, b: JudgeRow) =>
  (loads.get(a.id) ?? 0) - (loads.get(b.id) ?? 0) || a.email.localeCompare(b.email);

/** The entry statuses a round takes: a first round the submitted and under review, a final round the shortlist. */
export const roundStatuses = (round: Pick<RoundRow, 'over'>) => (round.over === 'shortlist' ? ['shortlisted'] : ['submitted', 'under_review']);

export function roundView(round: RoundRow, categories: RoundCategoryRow[], criteria: CriterionRow[], progress?: { assignments: number; submitted: number; conflicts: number }) {
  return {
    id: round.id,
    name: round.name,
    opensAt: iso(round.opens_at),
    closesAt: iso(round.closes_at),
    blind: Boolean(round.blind),
    over: round.over,
    categories: categories.filter((c) => c.round_id === round.id).map((c) => c.slug),
    criteria: criteria
      .filter((c) => c.round_id === round.id)
      .map((c) => ({ id: c.id, name: c.name, description: c.description, weight: Number(c.weight), min: c.min_score, max: c.max_score })),
    ...(progress ? { progress: { assignments: progress.assignments, submitted: progress.submitted, conflicts: progress.conflicts } } : {}),
  };
}

export async function createRound(db: Db, programmeSlug: string, input: RoundInput, now = new Date()) {
  const programme = await findProgramme(db, programmeSlug, now);
  const zone = programme.row.time_zone;
  const opensAt = parseInstant(input.opensAt, zone);
  const closesAt = parseInstant(input.closesAt, zone);
  const fields: Record<string, string> = {};
  if (!opensAt) fields.opensAt = 'Give a date and time such as 2027-04-01T09:00:00Z.';
  if (!closesAt) fields.closesAt = 'Give a date and time such as 2027-04-30T17:00:00Z.';
  if (opensAt && closesAt && closesAt <= opensAt) fields.closesAt = 'A round must close after it opens.';
  const unknown = (input.categories ?? []).filter((slug) => !programme.categories.some((c) => c.slug === slug));
  if (unknown.length) fields.categories = `This programme has no category ${unknown.join(', ')}.`;
  if (Object.keys(fields).length) throw validationFailed(fields);

  const categoryIds = (input.categories ? programme.categories.filter((c) => input.categories!.includes(c.slug)) : programme.categories).map((c) => c.id);
  const id = await db.transaction(async (trx) => {
    const roundId = await insertRound(trx, {
      programme_id: programme.row.id,
      name: input.name,
      opens_at: opensAt!,
      closes_at: closesAt!,
      blind: input.blind,
      over: input.over,
      created_at: now,
    });
    await insertRoundCategories(trx, roundId, categoryIds);
    await insertCriteria(
      trx,
      input.criteria.map((c, position) => ({ round_id: roundId, position, name: c.name, description: c.description || null, weight: c.weight, min_score: c.min, max_score: c.max })),
    );
    return roundId;
  });
  return describeRound(db, id);
}

export async function findRound(db: Conn, id: number) {
  const round = Number.isSafeInteger(id) && id > 0 ? await findRoundById(db, id) : undefined;
  if (!round) throw notFound('There is no judging round with this id.');
  return round;
}

/** A round with its categories, criteria and progress, as the API shows it. */
export async function describeRound(db: Db, id: number) {
  const round = await findRound(db, id);
  const [categories, criteria, [progress]] = await Promise.all([listRoundCategories(db, [id]), listCriteria(db, [id]), countRoundProgress(db, [id])]);
  return roundView(round, categories, criteria, progress);
}

export async function listRounds(db: Db, programmeSlug: string) {
  const programme = await findProgramme(db, programmeSlug);
  const rounds = await listRoundsOfProgramme(db, programme.row.id);
  const ids = rounds.map((r) => r.id);
  const [categories, criteria, progress] = await Promise.all([listRoundCategories(db, ids), listCriteria(db, ids), countRoundProgress(db, ids)]);
  return rounds.map((r) => roundView(r, categories, criteria, progress.find((p) => p.round_id === r.id)));
}

const fitToJudge = (s: JudgeRow) => !s.disabled_at && (s.role === 'judge' || s.role === 'admin');

/** The staff accounts behind addresses, all of them active judges (or admins), or 422 naming those that are not. */
async function judgesByEmail(db: Conn, emails: string[], field: string): Promise<JudgeRow[]> {
  const wanted = [...new Set(emails)];
  const found = await findStaffByEmails(db, wanted);
  const refused = wanted.filter((email) => {
    const staff = found.find((s) => s.email === email);
    return !staff || !fitToJudge(staff);
  });
  if (refused.length) {
    throw validationFailed({ [field]: `${refused.join(', ')} ${refused.length === 1 ? 'is not an active judge' : 'are not active judges'} (a staff account with the judge or admin role).` });
  }
  return wanted.map((email) => found.find((s) => s.email === email)!);
}

/**
 * Gives each entry of the round `judgesPerEntry` judges from the list: for each entry in
 * turn the least-loaded judges (fewest scorecards in this round; ties by address) who are
 * not already on it and never declared a conflict on it. Running it again only tops up.
 */
export async function assignJudges(db: Db, roundId: number, input: { judges: string[]; judgesPerEntry: number }, now = new Date()) {
  const round = await findRound(db, roundId);
  const judges = await judgesByEmail(db, input.judges, 'judges');
  if (input.judgesPerEntry > judges.length) {
    throw validationFailed({ judgesPerEntry: `Name at least ${input.judgesPerEntry} judges for ${input.judgesPerEntry} judges per entry.` });
  }
  try {
    return await db.transaction(async (trx) => {
      await insertPanelMembers(trx, round.id, judges.map((j) => j.id));
      const [entries, pairs, conflicts, loads] = await Promise.all([
        listRoundEntries(trx, round.id, roundStatuses(round)),
        listScorecardPairs(trx, round.id),
        listConflictPairs(trx, round.programme_id),
        countLoads(trx, round.id),
      ]);
      const key = (entryId: number, staffId: number) => `${entryId}:${staffId}`;
      const onEntry = new Map<number, number>();
      const taken = new Set<string>();
      for (const p of pairs) {
        taken.add(key(p.entry_id, p.staff_id));
        onEntry.set(p.entry_id, (onEntry.get(p.entry_id) ?? 0) + 1);
      }
      for (const c of conflicts) taken.add(key(c.entry_id, c.staff_id));

      const rows: Omit<ScorecardRow, 'id'>[] = [];
      const unfilled: string[] = [];
      for (const entry of entries) {
        const need = input.judgesPerEntry - (onEntry.get(entry.id) ?? 0);
        if (need <= 0) continue;
        const chosen = judges.filter((j) => !taken.has(key(entry.id, j.id))).sort(byLoadThenEmail(loads)).slice(0, need);
        if (chosen.length < need) unfilled.push(entry.reference);
        for (const judge of chosen) {
          loads.set(judge.id, (loads.get(judge.id) ?? 0) + 1);
          taken.add(key(entry.id, judge.id));
          rows.push({ round_id: round.id, entry_id: entry.id, staff_id: judge.id, status: 'assigned', comment: null, created_at: now, updated_at: now, submitted_at: null });
        }
      }
      await insertScorecards(trx, rows);
      return { assigned: rows.length, unfilled };
    });
  } catch (err) {
    // Another assignment of the same round ran at the same moment and won.
    if (isUniqueViolation(err)) throw conflict('The round was being assigned at the same time; run the assignment again to top up.', 'assignment_busy');
    throw err;
  }
}

async function entryOfRound(db: Conn, round: RoundRow, reference: string): Promise<EntryRow> {
  const entry = await findEntryByReference(db, reference);
  if (!entry || !(await isEntryInRound(db, round.id, entry.id))) throw notFound('This round has no entry with this reference.');
  return entry;
}

/** Puts one judge on one entry by hand (within the same rules: no conflict, not twice). */
export async function addAssignment(db: Db, roundId: number, reference: string, email: string, now = new Date()) {
  const round = await findRound(db, roundId);
  const entry = await entryOfRound(db, round, reference);
  const [judge] = await judgesByEmail(db, [email.trim().toLowerCase()], 'judge');
  if (await findConflict(db, entry.id, judge.id)) throw conflict(`${judge.email} declared a conflict of interest on ${entry.reference}.`, 'conflict_declared');
  try {
    const id = await db.transaction(async (trx) => {
      await insertPanelMembers(trx, round.id, [judge.id]);
      return insertScorecard(trx, { round_id: round.id, entry_id: entry.id, staff_id: judge.id, status: 'assigned', comment: null, created_at: now, updated_at: now, submitted_at: null });
    });
    return { id, reference: entry.reference, judge: judge.email, status: 'assigned' as const };
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`${judge.email} is already on ${entry.reference} in this round.`, 'already_assigned');
    throw err;
  }
}

/** Takes one judge off one entry (their scorecard and scores go with it). */
export async function removeAssignment(db: Db, roundId: number, reference: string, email: string) {
  const round = await findRound(db, roundId);
  const entry = await entryOfRound(db, round, reference);
  const [staff] = await findStaffByEmails(db, [email.trim().toLowerCase()]);
  const card = staff ? await findScorecard(db, round.id, entry.id, staff.id) : undefined;
  if (!card) throw notFound('This judge is not on this entry in this round.');
  await deleteScorecard(db, card.id);
}

/** The scorecard a judge opens, or 403 when the entry is not assigned to them in this round. */
export async function scorecardForJudge(db: Db, roundId: number, reference: string, staffId: number) {
  const round = Number.isSafeInteger(roundId) && roundId > 0 ? await findRoundById(db, roundId) : undefined;
  const entry = round ? await findEntryByReference(db, reference) : undefined;
  const card = round && entry ? await findScorecard(db, round.id, entry.id, staffId) : undefined;
  // The same answer whether the entry exists or not: a judge learns nothing of others' entries.
  if (!round || !entry || !card) throw new AppError(403, 'forbidden', 'This entry is not assigned to you.');
  const [criteria, scores] = await Promise.all([listCriteria(db, [round.id]), listScores(db, [card.id])]);
  return { round, entry, card, criteria, scores };
}

export type ScorecardAction = 'save' | 'submit';

function checkRoundWindow(round: RoundRow, now: Date) {
  if (now < toDate(round.opens_at)!) throw conflict('This round is not open for scoring yet.', 'round_not_open');
  if (now > toDate(round.closes_at)!) throw conflict('This round has closed; scorecards can no longer change.', 'round_closed');
}

/**
 * Saves a draft (any scores given must be in range) or submits (every criterion scored),
 * unless the scorecard is submitted already: then 409, whatever the timing (the UPDATE
 * itself refuses a submitted row).
 */
export async function saveScorecard(
  db: Db,
  card: ScorecardRow,
  round: RoundRow,
  criteria: CriterionRow[],
  input: { scores: Record<string, unknown>; comment: unknown; action: ScorecardAction },
  now = new Date(),
) {
  if (card.status === 'submitted') throw conflict('This scorecard is submitted and locked; an admin can reopen it.', 'scorecard_submitted');
  checkRoundWindow(round, now);
  const fields: Record<string, string> = {};
  const values: { scorecard_id: number; criterion_id: number; value: number }[] = [];
  for (const c of criteria) {
    const raw = input.scores[`c${c.id}`];
    const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
    if (!text) {
      if (input.action === 'submit') fields[`c${c.id}`] = `Score ${c.name} from ${c.min_score} to ${c.max_score}.`;
      continue;
    }
    const value = Number(text);
    if (!/^-?\d+$/.test(text) || value < c.min_score || value > c.max_score) {
      fields[`c${c.id}`] = `Score ${c.name} with a whole number from ${c.min_score} to ${c.max_score}.`;
      continue;
    }
    values.push({ scorecard_id: card.id, criterion_id: c.id, value });
  }
  const comment = typeof input.comment === 'string' ? input.comment.replace(/\r\n?/g, '\n').trim() : '';
  if (comment.length > COMMENT_MAX) fields.comment = `The comment has at most ${COMMENT_MAX} characters.`;
  if (Object.keys(fields).length) throw validationFailed(fields);

  const submit = input.action === 'submit';
  await db.transaction(async (trx) => {
    const changed = await updateOpenScorecard(trx, card.id, {
      status: submit ? 'submitted' : 'draft',
      comment: comment || null,
      updated_at: now,
      submitted_at: submit ? now : null,
    });
    if (!changed) throw conflict('This scorecard is submitted and locked; an admin can reopen it.', 'scorecard_submitted');
    await replaceScores(trx, card.id, values);
  });
  return { status: submit ? 'submitted' : 'draft' };
}

/** An admin reopens a submitted scorecard: it becomes a draft its judge can change and submit again. */
export async function reopenScorecard(db: Db, id: number, now = new Date()) {
  const card = Number.isSafeInteger(id) && id > 0 ? await findScorecardById(db, id) : undefined;
  if (!card) throw notFound('There is no scorecard with this id.');
  if (!(await reopenSubmittedScorecard(db, card.id, now))) throw conflict('Only a submitted scorecard can be reopened.', 'scorecard_not_submitted');
  return { ...card, status: 'draft' as const, submitted_at: null };
}

/**
 * A judge recuses: the conflict is recorded (for this entry in every round, and in the
 * audit log), their scorecard goes, and the entry passes to the least-loaded judge of the
 * round's panel who is free of it, if there is one.
 */
export async function declareConflict(db: Db, card: ScorecardRow, reason: string, actor: Actor, now = new Date()) {
  if (card.status === 'submitted') throw conflict('This scorecard is submitted and locked; ask an admin to reopen it first.', 'scorecard_submitted');
  return db.transaction(async (trx) => {
    const entry = (await findEntryById(trx, card.entry_id))!;
    await insertConflict(trx, { round_id: card.round_id, entry_id: card.entry_id, staff_id: card.staff_id, reason, created_at: now });
    await deleteScorecard(trx, card.id);
    const [panel, pairs, conflicts, loads] = await Promise.all([
      listActivePanel(trx, card.round_id),
      listScorecardPairs(trx, card.round_id),
      listConflictPairs(trx, entry.programme_id),
      countLoads(trx, card.round_id),
    ]);
    const busy = new Set([...pairs, ...conflicts].filter((p) => p.entry_id === card.entry_id).map((p) => p.staff_id));
    busy.add(card.staff_id);
    const [next] = panel.filter((j) => !busy.has(j.id)).sort(byLoadThenEmail(loads));
    if (next) {
      await insertScorecard(trx, { round_id: card.round_id, entry_id: card.entry_id, staff_id: next.id, status: 'assigned', comment: null, created_at: now, updated_at: now, submitted_at: null });
    }
    await recordAudit(trx, actor, { action: 'scorecard.conflict', entity: 'entries', entityId: entry.reference, details: { round: card.round_id, reason, reassigned: Boolean(next) } }, now);
    return { reference: entry.reference, reassigned: Boolean(next) };
  });
}

export interface LeaderboardItem {
  reference: string;
  organisation: string;
  category: string;
  categoryName: string;
  status: string;
  judges: number;
  submitted: number;
  conflicts: number;
  score: number | null;
  median: number | null;
  rank: number | null;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

function median(values: number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Each category's entries ranked by score: the mean over submitted scorecards of each
 * scorecard's weighted total on 0–100, computed in SQL; the median of the same totals here.
 */
export async function leaderboard(db: Db, roundId: number): Promise<LeaderboardItem[]> {
  const round = await findRound(db, roundId);
  const rows = await listLeaderboardRows(db, round.id, roundStatuses(round));
  // Rows come in ranking order, one per submitted scorecard (or one per entry without any).
  const entries = new Map<number, { item: LeaderboardItem; totals: number[] }>();
  for (const row of rows) {
    let entry = entries.get(row.entry_id);
    if (!entry) {
      const score = row.score === null ? null : round2(Number(row.score));
      const item: LeaderboardItem = {
        reference: row.reference,
        organisation: row.organisation,
        category: row.category_slug,
        categoryName: row.category_name,
        status: row.status,
        judges: Number(row.judges),
        submitted: Number(row.submitted ?? 0),
        conflicts: Number(row.conflicts ?? 0),
        score,
        median: null,
        rank: null,
      };
      entry = { item, totals: [] };
      entries.set(row.entry_id, entry);
    }
    if (row.card_total !== null) entry.totals.push(Number(row.card_total));
  }
  const ranks = new Map<string, number>();
  return [...entries.values()].map(({ item, totals }) => {
    const m = median(totals);
    if (item.score === null) return { ...item, median: null };
    const rank = (ranks.get(item.category) ?? 0) + 1;
    ranks.set(item.category, rank);
    return { ...item, median: m === null ? null : round2(m), rank };
  });
}

/** When results become public: an instant in the programme's zone, or now. Once released, it stays. */
export async function scheduleResults(db: Db, programmeSlug: string, releaseAt: string, now = new Date()) {
  const programme = await findProgramme(db, programmeSlug, now);
  if (programme.row.results_released_at) throw conflict('The results of this programme are already released.', 'results_released');
  const at = releaseAt === 'now' ? now : parseInstant(releaseAt, programme.row.time_zone);
  if (!at) throw validationFailed({ releaseAt: 'Give a date and time such as 2027-06-12T19:30:00+01:00, or "now".' });
  if (!(await setResultsReleaseAt(db, programme.row.id, at))) throw conflict('The results of this programme are already released.', 'results_released');
  return { releaseAt: at.toISOString() };
}

/**
 * Releases every programme whose release time has come: the conditional UPDATE lets one
 * process claim each release, and the result emails are queued in the same transaction
 * with a unique key per entry, so each entrant hears once however many processes run.
 */
export async function releaseDueResults(db: Db, now = new Date()): Promise<number> {
  let released = 0;
  for (const { id } of await listDueReleases(db, now)) {
    const claimed = await db.transaction(async (trx) => {
      if (!(await claimResultsRelease(trx, id, now))) return false;
      const entries = await listResultEntryIds(trx, id);
      await insertUniqueMailJobs(trx, entries.map((e) => ({ kind: RESULT_MAIL, unique_key: `${RESULT_MAIL}:${e.id}`, entry_id: e.id })), now);
      return true;
    });
    if (claimed) released++;
  }
  return released;
}

/** The outcome an entrant hears at the release. */
export const outcomeOf = (status: string) => (status === 'winner' ? 'winner' : status === 'shortlisted' ? 'shortlisted' : 'not_shortlisted');

