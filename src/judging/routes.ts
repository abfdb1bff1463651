import { Router, type Response } from 'express';
import { toDate, type Db } from '../db';
import { notFound } from '../errors';
import { jsonBody } from '../http/body';
import { neutraliseCell, wantsCsv } from '../http/listing';
import { parseInput } from '../http/validate';
import { stringify } from 'csv-stringify/sync';
import { listRoundScorecards } from './queries';
import { assignmentInput, releaseInput, roundInput } from './schema';
import {
  addAssignment,
  assignJudges,
  createRound,
  describeRound,
  findRound,
  leaderboard,
  listRounds,
  releaseDueResults,
  removeAssignment,
  reopenScorecard,
  scheduleResults,
  type LeaderboardItem,
} from './service';
import { findEntryByReference } from '../awards/queries';

const LEADERBOARD_COLUMNS = ['rank', 'category', 'reference', 'organisation', 'status', 'judges', 'submitted', 'conflicts', 'score', 'median'] as const;

/** The leaderboard as CSV (the API's ?format=csv and the console's download share it). */
export function sendLeaderboardCsv(res: Response, roundId: number, items: LeaderboardItem[]) {
  const csv = stringify(items.map((i) => LEADERBOARD_COLUMNS.map((c) => neutraliseCell(i[c]))), { header: true, columns: [...LEADERBOARD_COLUMNS] });
  res.type('text/csv; charset=utf-8').attachment(`round-${roundId}-leaderboard.csv`).send(csv);
}

export const leaderboardJson = (items: LeaderboardItem[]) =>
  items.map(({ reference, organisation, category, status, judges, submitted, conflicts, score, median, rank }) => ({
    reference, organisation, category, status, judges, submitted, conflicts, score, median, rank,
  }));

/**
 * Judging for admins under /api/admin: rounds, assignment (bulk and one by one),
 * scorecards, the leaderboard, the results release. Judges themselves work in the console.
 */
export function judgingAdminRoutes(deps: { db: Db; mailQueued: () => void }): Router {
  const router = Router();
  const { db } = deps;
  const id = (value: unknown) => Number(value);

  router.post('/awards/:programme/rounds', ...jsonBody(), async (req, res) => {
    res.status(201).json(await createRound(db, String(req.params.programme), parseInput(roundInput, req.body)));
  });

  router.get('/awards/:programme/rounds', async (req, res) => {
    const items = await listRounds(db, String(req.params.programme));
    res.json({ items, total: items.length, page: 1, pageSize: items.length });
  });

  router.get('/rounds/:id', async (req, res) => {
    res.json(await describeRound(db, id(req.params.id)));
  });

  router.post('/rounds/:id/assignments', ...jsonBody(), async (req, res) => {
    res.json(await assignJudges(db, id(req.params.id), parseInput(assignmentInput, req.body)));
  });

  // One judge on one entry by hand: POST adds, DELETE removes (with the scorecard).
  router.post('/rounds/:id/assignments/:reference/:email', async (req, res) => {
    res.status(201).json(await addAssignment(db, id(req.params.id), String(req.params.reference), String(req.params.email)));
  });

  router.delete('/rounds/:id/assignments/:reference/:email', async (req, res) => {
    await removeAssignment(db, id(req.params.id), String(req.params.reference), String(req.params.email));
    res.status(204).end();
  });

  // Scorecards with their judges (admins only: entrants never see them), optionally one entry's.
  router.get('/rounds/:id/scorecards', async (req, res) => {
    const round = await findRound(db, id(req.params.id));
    let entryId: number | undefined;
    if (typeof req.query.reference === 'string') {
      const entry = await findEntryByReference(db, req.query.reference);
      if (!entry) throw notFound('There is no entry with this reference.');
      entryId = entry.id;
    }
    const rows = await listRoundScorecards(db, round.id, entryId);
    res.json({
      items: rows.map((r) => ({ id: r.id, reference: r.reference, judge: r.judge_email, status: r.status, comment: r.comment, submittedAt: toDate(r.submitted_at)?.toISOString() ?? null })),
      total: rows.length,
      page: 1,
      pageSize: rows.length,
    });
  });

  router.get('/rounds/:id/leaderboard', async (req, res) => {
    const items = await leaderboard(db, id(req.params.id));
    if (wantsCsv(req)) return sendLeaderboardCsv(res, id(req.params.id), items);
    res.json({ items: leaderboardJson(items) });
  });

  router.post('/scorecards/:id/reopen', async (req, res) => {
    const card = await reopenScorecard(db, id(req.params.id));
    res.json({ id: card.id, status: card.status });
  });

  router.post('/awards/:programme/results', ...jsonBody(), async (req, res) => {
    const input = parseInput(releaseInput, req.body);
    const scheduled = await scheduleResults(db, String(req.params.programme), input.releaseAt);
    // A time already come is released at once (the worker would within seconds; the claim makes it once either way).
    const due = new Date(scheduled.releaseAt) <= new Date();
    if (due && (await releaseDueResults(db)) > 0) deps.mailQueued();
    res.json({ ...scheduled, released: due });
  });

  return router;
}
