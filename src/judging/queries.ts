import type { Knex } from 'knex';
import type { Db } from '../db';

/** Judging's SQL, one named function per statement. */

type Conn = Db | Knex.Transaction;

export interface RoundRow {
  id: number;
  programme_id: number;
  name: string;
  opens_at: unknown;
  closes_at: unknown;
  blind: boolean | number;
  over: 'entries' | 'shortlist';
  created_at: unknown;
}

export interface RoundCategoryRow {
  round_id: number;
  category_id: number;
  slug: string;
  name: string;
  position: number;
}

export interface CriterionRow {
  id: number;
  round_id: number;
  position: number;
  name: string;
  description: string | null;
  weight: number;
  min_score: number;
  max_score: number;
}

export type ScorecardStatus = 'assigned' | 'draft' | 'submitted';

export interface ScorecardRow {
  id: number;
  round_id: number;
  entry_id: number;
  staff_id: number;
  status: ScorecardStatus;
  comment: string | null;
  created_at: unknown;
  updated_at: unknown;
  submitted_at: unknown;
}

export interface ScoreRow {
  scorecard_id: number;
  criterion_id: number;
  value: number;
}

export interface JudgeRow {
  id: number;
  email: string;
  name: string | null;
  role: string;
  disabled_at: unknown;
}

const insertedId = (inserted: unknown) => Number(typeof inserted === 'object' && inserted ? (inserted as { id: number }).id : inserted);

export async function insertRound(db: Conn, row: Omit<RoundRow, 'id'>): Promise<number> {
  const [inserted] = await db('judging_rounds').insert(row).returning('id');
  return insertedId(inserted);
}

export function insertRoundCategories(db: Conn, roundId: number, categoryIds: number[]) {
  return db('judging_round_categories').insert(categoryIds.map((category_id) => ({ round_id: roundId, category_id })));
}

export function insertCriteria(db: Conn, rows: Omit<CriterionRow, 'id'>[]) {
  return db('judging_criteria').insert(rows);
}

export function findRoundById(db: Conn, id: number): Promise<RoundRow | undefined> {
  return db('judging_rounds').where({ id }).first();
}

export function listRoundsOfProgramme(db: Conn, programmeId: number): Promise<RoundRow[]> {
  return db('judging_rounds').where({ programme_id: programmeId }).orderBy('opens_at').orderBy('id');
}

export function listAllRounds(db: Conn): Promise<(RoundRow & { programme_name: string; programme_slug: string })[]> {
  return db('judging_rounds as r')
    .join('programmes as p', 'p.id', 'r.programme_id')
    .orderBy('r.opens_at', 'desc')
    .orderBy('r.id', 'desc')
    .select('r.*', 'p.name as programme_name', 'p.slug as programme_slug');
}

export function listRoundCategories(db: Conn, roundIds: number[]): Promise<RoundCategoryRow[]> {
  if (!roundIds.length) return Promise.resolve([]);
  return db('judging_round_categories as rc')
    .join('categories as c', 'c.id', 'rc.category_id')
    .whereIn('rc.round_id', roundIds)
    .orderBy('c.position')
    .orderBy('c.id')
    .select('rc.round_id', 'rc.category_id', 'c.slug', 'c.name', 'c.position');
}

export function listCriteria(db: Conn, roundIds: number[]): Promise<CriterionRow[]> {
  if (!roundIds.length) return Promise.resolve([]);
  return db('judging_criteria').whereIn('round_id', roundIds).orderBy('round_id').orderBy('position');
}

export interface RoundProgressRow {
  round_id: number;
  assignments: number;
  submitted: number;
  conflicts: number;
}

/** Scorecards, submitted scorecards and declared conflicts per round. */
export async function countRoundProgress(db: Conn, roundIds: number[]): Promise<RoundProgressRow[]> {
  if (!roundIds.length) return [];
  const cards: { round_id: number; assignments: string | number; submitted: string | number | null }[] = await db('judging_scorecards')
    .whereIn('round_id', roundIds)
    .groupBy('round_id')
    .select('round_id', db.raw('count(*) as assignments'), db.raw("sum(case when status = 'submitted' then 1 else 0 end) as submitted"));
  const conflicts: { round_id: number; n: string | number }[] = await db('judging_conflicts')
    .whereIn('round_id', roundIds)
    .groupBy('round_id')
    .select('round_id', db.raw('count(*) as n'));
  return roundIds.map((round_id) => {
    const c = cards.find((r) => r.round_id === round_id);
    return {
      round_id,
      assignments: Number(c?.assignments ?? 0),
      submitted: Number(c?.submitted ?? 0),
      conflicts: Number(conflicts.find((r) => r.round_id === round_id)?.n ?? 0),
    };
  });
}

/** Staff accounts by address (any role, disabled or not: the caller says which are fit to judge). */
export function findStaffByEmails(db: Conn, emails: string[]): Promise<JudgeRow[]> {
  if (!emails.length) return Promise.resolve([]);
  return db('staff_users').whereIn('email', emails).select('id', 'email', 'name', 'role', 'disabled_at');
}

export function insertPanelMembers(db: Conn, roundId: number, staffIds: number[]) {
  if (!staffIds.length) return Promise.resolve();
  return db('judging_panel')
    .insert(staffIds.map((staff_id) => ({ round_id: roundId, staff_id })))
    .onConflict(['round_id', 'staff_id'])
    .ignore();
}

/** The round's panel members who may still judge: not disabled, role judge or admin. */
export function listActivePanel(db: Conn, roundId: number): Promise<JudgeRow[]> {
  return db('judging_panel as p')
    .join('staff_users as s', 's.id', 'p.staff_id')
    .where('p.round_id', roundId)
    .whereNull('s.disabled_at')
    .whereIn('s.role', ['judge', 'admin'])
    .select('s.id', 's.email', 's.name', 's.role', 's.disabled_at');
}

/** The entries a round judges: in its categories, with the statuses its kind takes. */
export function listRoundEntries(db: Conn, roundId: number, statuses: string[]): Promise<{ id: number; reference: string }[]> {
  return db('entries as e')
    .join('judging_round_categories as rc', 'rc.category_id', 'e.category_id')
    .where('rc.round_id', roundId)
    .whereIn('e.status', statuses)
    .orderBy('e.id')
    .select('e.id', 'e.reference');
}

export function isEntryInRound(db: Conn, roundId: number, entryId: number): Promise<boolean> {
  return db('judging_round_categories as rc')
    .join('entries as e', 'e.category_id', 'rc.category_id')
    .where({ 'rc.round_id': roundId, 'e.id': entryId })
    .first('e.id')
    .then(Boolean);
}

/** Who judges what in a round: one pair per scorecard. */
export function listScorecardPairs(db: Conn, roundId: number): Promise<{ entry_id: number; staff_id: number }[]> {
  return db('judging_scorecards').where({ round_id: roundId }).select('entry_id', 'staff_id');
}

/** Declared conflicts on the entries of a programme (a conflict holds in every round). */
export function listConflictPairs(db: Conn, programmeId: number): Promise<{ entry_id: number; staff_id: number }[]> {
  return db('judging_conflicts as k')
    .join('entries as e', 'e.id', 'k.entry_id')
    .where('e.programme_id', programmeId)
    .select('k.entry_id', 'k.staff_id');
}

export function findConflict(db: Conn, entryId: number, staffId: number) {
  return db('judging_conflicts').where({ entry_id: entryId, staff_id: staffId }).first();
}

export function insertConflict(db: Conn, row: { round_id: number; entry_id: number; staff_id: number; reason: string; created_at: Date }) {
  return db('judging_conflicts').insert(row);
}

export function insertScorecards(db: Conn, rows: Omit<ScorecardRow, 'id'>[]) {
  return db.batchInsert('judging_scorecards', rows, 500);
}

export async function insertScorecard(db: Conn, row: Omit<ScorecardRow, 'id'>): Promise<number> {
  const [inserted] = await db('judging_scorecards').insert(row).returning('id');
  return insertedId(inserted);
}

export function findScorecardById(db: Conn, id: number): Promise<ScorecardRow | undefined> {
  return db('judging_scorecards').where({ id }).first();
}

export function findScorecard(db: Conn, roundId: number, entryId: number, staffId: number): Promise<ScorecardRow | undefined> {
  return db('judging_scorecards').where({ round_id: roundId, entry_id: entryId, staff_id: staffId }).first();
}

export function deleteScorecard(db: Conn, id: number) {
  return db('judging_scorecards').where({ id }).delete();
}

/** Changes a scorecard unless it is submitted (1), or not at all when it is (0): the lock. */
export function updateOpenScorecard(db: Conn, id: number, patch: Partial<Pick<ScorecardRow, 'status' | 'comment' | 'updated_at' | 'submitted_at'>>): Promise<number> {
  return db('judging_scorecards').where({ id }).whereNot('status', 'submitted').update(patch);
}

export function reopenSubmittedScorecard(db: Conn, id: number, now: Date): Promise<number> {
  return db('judging_scorecards').where({ id, status: 'submitted' }).update({ status: 'draft', submitted_at: null, updated_at: now });
}

export function listScores(db: Conn, scorecardIds: number[]): Promise<ScoreRow[]> {
  if (!scorecardIds.length) return Promise.resolve([]);
  return db('judging_scores').whereIn('scorecard_id', scorecardIds);
}

export async function replaceScores(db: Conn, scorecardId: number, rows: ScoreRow[]) {
  await db('judging_scores').where({ scorecard_id: scorecardId }).delete();
  if (rows.length) await db('judging_scores').insert(rows);
}

/** How many scorecards each judge holds in a round: the load assignment balances. */
export async function countLoads(db: Conn, roundId: number): Promise<Map<number, number>> {
  const rows: { staff_id: number; n: string | number }[] = await db('judging_scorecards')
    .where({ round_id: roundId })
    .groupBy('staff_id')
    .select('staff_id', db.raw('count(*) as n'));
  return new Map(rows.map((r) => [r.staff_id, Number(r.n)]));
}

export type JudgeScorecardRow = ScorecardRow & {
  reference: string;
  organisation: string;
  category_name: string;
  round_name: string;
  round_opens_at: unknown;
  round_closes_at: unknown;
  blind: boolean | number;
  programme_name: string;
};

/** A judge's scorecards, by round, for their list. */
export function listScorecardsOfJudge(db: Conn, staffId: number): Promise<JudgeScorecardRow[]> {
  return db('judging_scorecards as s')
    .join('judging_rounds as r', 'r.id', 's.round_id')
    .join('programmes as p', 'p.id', 'r.programme_id')
    .join('entries as e', 'e.id', 's.entry_id')
    .join('categories as c', 'c.id', 'e.category_id')
    .where('s.staff_id', staffId)
    .orderBy('r.opens_at', 'desc')
    .orderBy('r.id')
    .orderBy('c.position')
    .orderBy('e.reference')
    .select(
      's.*',
      'e.reference',
      'e.organisation',
      'c.name as category_name',
      'r.name as round_name',
      'r.opens_at as round_opens_at',
      'r.closes_at as round_closes_at',
      'r.blind',
      'p.name as programme_name',
    );
}

export type RoundScorecardRow = ScorecardRow & { reference: string; judge_email: string; judge_name: string | null };

/** A round's scorecards with their judges, for admins (optionally one entry's). */
export function listRoundScorecards(db: Conn, roundId: number, entryId?: number): Promise<RoundScorecardRow[]> {
  const query = db('judging_scorecards as s')
    .join('entries as e', 'e.id', 's.entry_id')
    .join('staff_users as u', 'u.id', 's.staff_id')
    .where('s.round_id', roundId)
    .orderBy('e.reference')
    .orderBy('u.email')
    .select('s.*', 'e.reference', 'u.email as judge_email', 'u.name as judge_name');
  if (entryId) query.where('s.entry_id', entryId);
  return query;
}

export interface LeaderboardRow {
  entry_id: number;
  reference: string;
  organisation: string;
  status: string;
  category_slug: string;
  category_name: string;
  judges: number | string;
  submitted: number | string | null;
  conflicts: number | string | null;
  score: number | string | null;
  card_total: number | string | null;
}

/**
 * The leaderboard in one statement: per submitted scorecard its total (criteria normalised
 * to 0–100, weighted: GROUP BY scorecard), per entry the mean of those totals (GROUP BY
 * entry), joined back so each row carries one scorecard's total beside its entry's mean.
 * The median needs the totals in order, which SQLite has no aggregate for: the caller takes
 * it from these same rows. Entries the round judges without any scorecard come with nulls.
 */
export function listLeaderboardRows(db: Conn, roundId: number, statuses: string[]): Promise<LeaderboardRow[]> {
  const totals = db('judging_scorecards as s')
    .join('judging_scores as v', 'v.scorecard_id', 's.id')
    .join('judging_criteria as k', 'k.id', 'v.criterion_id')
    .where('s.round_id', roundId)
    .where('s.status', 'submitted')
    .groupBy('s.entry_id', 's.id')
    .select('s.entry_id', 's.id as scorecard_id')
    .select(db.raw('sum(k.weight * (v.value - k.min_score) * 100.0 / (k.max_score - k.min_score)) / sum(k.weight) as total'));
  const means = db('totals').groupBy('entry_id').select('entry_id', db.raw('avg(total) as score'), db.raw('count(*) as submitted'));
  const counts = db('judging_scorecards').where({ round_id: roundId }).groupBy('entry_id').select('entry_id', db.raw('count(*) as judges'));
  const conflicts = db('judging_conflicts').where({ round_id: roundId }).groupBy('entry_id').select('entry_id', db.raw('count(*) as conflicts'));
  return db
    .with('totals', totals)
    .with('means', means)
    .with('counts', counts)
    .with('conflict_counts', conflicts)
    .from('entries as e')
    .join('judging_round_categories as rc', function () {
      this.on('rc.category_id', '=', 'e.category_id').andOn('rc.round_id', '=', db.raw('?', [roundId]));
    })
    .join('categories as c', 'c.id', 'e.category_id')
    .leftJoin('counts as n', 'n.entry_id', 'e.id')
    .leftJoin('conflict_counts as x', 'x.entry_id', 'e.id')
    .leftJoin('means as m', 'm.entry_id', 'e.id')
    .leftJoin('totals as t', 't.entry_id', 'e.id')
    .where((w) => w.whereIn('e.status', statuses).orWhereNotNull('n.entry_id').orWhereNotNull('x.entry_id'))
    .orderBy('c.position')
    .orderBy('c.id')
    .orderByRaw('case when m.score is null then 1 else 0 end')
    .orderBy('m.score', 'desc')
    .orderBy('e.reference')
    .orderBy('t.total')
    .select(
      'e.id as entry_id',
      'e.reference',
      'e.organisation',
      'e.status',
      'c.slug as category_slug',
      'c.name as category_name',
      db.raw('coalesce(n.judges, 0) as judges'),
      db.raw('coalesce(m.submitted, 0) as submitted'),
      db.raw('coalesce(x.conflicts, 0) as conflicts'),
      'm.score',
      't.total as card_total',
    );
}

// The results release.

export function setResultsReleaseAt(db: Conn, programmeId: number, at: Date): Promise<number> {
  return db('programmes').where({ id: programmeId }).whereNull('results_released_at').update({ results_release_at: at });
}

export function listDueReleases(db: Conn, now: Date): Promise<{ id: number }[]> {
  return db('programmes').whereNull('results_released_at').whereNotNull('results_release_at').where('results_release_at', '<=', now).select('id');
}

/** Claims a due release for this process: exactly one process changes the row (1), the others 0. */
export function claimResultsRelease(db: Conn, programmeId: number, now: Date): Promise<number> {
  return db('programmes')
    .where({ id: programmeId })
    .whereNull('results_released_at')
    .where('results_release_at', '<=', now)
    .update({ results_released_at: now });
}

/** The entries that hear their outcome: every entry of the programme but withdrawn ones. */
export function listResultEntryIds(db: Conn, programmeId: number): Promise<{ id: number }[]> {
  return db('entries').where({ programme_id: programmeId }).whereNotIn('status', ['withdrawn', 'draft']).orderBy('id').select('id');
}

export interface PublishedEntryRow {
  reference: string;
  status: string;
  organisation: string;
  nominee: string | null;
  website: string;
  not_for_publication: string | null;
  category_id: number;
}

export function listWinnersAndShortlisted(db: Conn, programmeId: number): Promise<PublishedEntryRow[]> {
  return db('entries')
    .where({ programme_id: programmeId })
    .whereIn('status', ['winner', 'shortlisted'])
    .orderByRaw("case when status = 'winner' then 0 else 1 end")
    .orderBy('organisation_key')
    .select('reference', 'status', 'organisation', 'nominee', 'website', 'not_for_publication', 'category_id');
}
