import { Router, type Request, type Response } from 'express';
import { recordAudit } from '../audit/service';
import { sendDocument } from '../awards/documents';
import { findCategoryById, findEntryById, findEntryByReference, listDocuments } from '../awards/queries';
import { NEXT_STATUSES, type EntryStatus } from '../awards/schema';
import { changeEntryStatus } from '../awards/service';
import { COUNTRIES } from '../awards/countries';
import { renderConsole, setFlash } from '../console/render';
import { ADMINS, JUDGES } from '../console/screens';
import type { Config } from '../config';
import { toDate, type Db } from '../db';
import { AppError, notFound } from '../errors';
import { formBody } from '../http/body';
import type { Csrf } from '../http/csrf';
import { actorOf, requireRole, staffOf } from '../http/staff-session';
import { fieldErrors } from '../http/validate';
import { listAllRounds, listRoundScorecards, listScorecardsOfJudge, listScores, listCriteria, type JudgeScorecardRow } from './queries';
import { sendLeaderboardCsv } from './routes';
import { conflictInput } from './schema';
import {
  declareConflict,
  describeRound,
  findRound,
  leaderboard,
  reopenScorecard,
  saveScorecard,
  scorecardForJudge,
  type ScorecardAction,
} from './service';

const when = (value: unknown) => toDate(value)?.toISOString().slice(0, 16).replace('T', ' ') ?? '';
const STATUS_WORDS: Record<string, string> = { assigned: 'Not started', draft: 'Draft saved', submitted: 'Submitted' };
// The decisions an admin takes from the leaderboard, with the button each gets.
const DECISIONS: [EntryStatus, string][] = [
  ['shortlisted', 'Shortlist'],
  ['winner', 'Mark winner'],
  ['not_shortlisted', 'Not shortlisted'],
];

/**
 * The judging screens: /admin/judging (a judge's entries per round, and for admins the
 * rounds), each scorecard (assigned judge only), and the admin round page with the
 * leaderboard and the shortlist and winner buttons. Each change writes its own audit line.
 */
export function judgingConsoleRoutes(deps: { db: Db; config: Config; csrf: Csrf }): Router {
  const router = Router();
  const { db, csrf } = deps;
  const body = [...formBody('100kb'), csrf.protect, csrf.provideToken];
  router.use('/judging', requireRole(...JUDGES));
  router.use('/judging/rounds', requireRole(...ADMINS));
  router.use('/judging/scorecards', requireRole(...ADMINS));

  router.get('/judging', csrf.provideToken, async (req, res) => {
    const me = staffOf(res);
    const cards = await listScorecardsOfJudge(db, me.id);
    const rounds: { id: number; name: string; programme: string; opens: string; closes: string; blind: boolean; submitted: number; cards: (JudgeScorecardRow & { statusWord: string })[] }[] = [];
    for (const card of cards) {
      let round = rounds.find((r) => r.id === card.round_id);
      if (!round) {
        round = { id: card.round_id, name: card.round_name, programme: card.programme_name, opens: when(card.round_opens_at), closes: when(card.round_closes_at), blind: Boolean(card.blind), submitted: 0, cards: [] };
        rounds.push(round);
      }
      if (card.status === 'submitted') round.submitted++;
      round.cards.push({ ...card, statusWord: STATUS_WORDS[card.status] });
    }
    const allRounds = me.role === 'admin' ? await listAllRounds(db) : [];
    renderConsole(req, res, 'judging/views/console-judging.njk', {
      title: 'Judging',
      rounds,
      allRounds: allRounds.map((r) => ({ id: r.id, name: r.name, programme: r.programme_name, opens: when(r.opens_at), closes: when(r.closes_at), blind: Boolean(r.blind) })),
    });
  });

  // The admin's round page: progress, then each category's leaderboard with its decisions.
  router.get('/judging/rounds/:id', csrf.provideToken, async (req, res) => {
    const round = await describeRound(db, Number(req.params.id));
    const items = await leaderboard(db, round.id);
    const categories: { name: string; items: (typeof items[number] & { decisions: { status: string; label: string }[] })[] }[] = [];
    for (const item of items) {
      let category = categories.find((c) => c.name === item.categoryName);
      if (!category) categories.push((category = { name: item.categoryName, items: [] }));
      const allowed = NEXT_STATUSES[item.status as EntryStatus] ?? [];
      category.items.push({ ...item, decisions: DECISIONS.filter(([s]) => allowed.includes(s)).map(([status, label]) => ({ status, label })) });
    }
    renderConsole(req, res, 'judging/views/console-round.njk', { title: `Round: ${round.name}`, round, categories });
  });

  router.get('/judging/rounds/:id/leaderboard.csv', async (req, res) => {
    const round = await findRound(db, Number(req.params.id));
    sendLeaderboardCsv(res, round.id, await leaderboard(db, round.id));
  });

  // One entry's scorecards in a round, for admins: judges, totals, comments, reopen.
  router.get('/judging/rounds/:id/entries/:reference', csrf.provideToken, async (req, res) => {
    const round = await findRound(db, Number(req.params.id));
    const entry = await findEntryByReference(db, String(req.params.reference));
    if (!entry) throw notFound('There is no entry with this reference.');
    const cards = await listRoundScorecards(db, round.id, entry.id);
    const [criteria, scores] = await Promise.all([listCriteria(db, [round.id]), listScores(db, cards.map((c) => c.id))]);
    renderConsole(req, res, 'judging/views/console-round-entry.njk', {
      title: `${entry.reference} in ${round.name}`,
      round,
      entry,
      criteria,
      cards: cards.map((c) => ({
        ...c,
        statusWord: STATUS_WORDS[c.status],
        submittedAt: when(c.submitted_at),
        scores: criteria.map((k) => scores.find((s) => s.scorecard_id === c.id && s.criterion_id === k.id)?.value ?? '—'),
      })),
    });
  });

  router.post('/judging/rounds/:id/entries/:reference/status', ...body, async (req, res) => {
    const round = await findRound(db, Number(req.params.id));
    const reference = String(req.params.reference);
    const status = (req.body as { status?: string }).status as EntryStatus;
    if (!DECISIONS.some(([s]) => s === status)) throw new AppError(422, 'validation_failed', 'Choose shortlisted, winner or not shortlisted.');
    const actor = actorOf(res);
    await changeEntryStatus(db, reference, status, `From the leaderboard of ${round.name}`, actor.label);
    await recordAudit(db, actor, { action: 'entries.status', entity: 'entries', entityId: reference, details: { status, round: round.id } });
    setFlash(res, `${reference} is now ${status.replace('_', ' ')}.`);
    res.redirect(303, `/admin/judging/rounds/${round.id}`);
  });

  router.post('/judging/scorecards/:id/reopen', ...body, async (req, res) => {
    const card = await reopenScorecard(db, Number(req.params.id));
    const entry = (await findEntryById(db, card.entry_id))!;
    await recordAudit(db, actorOf(res), { action: 'scorecard.reopen', entity: 'scorecards', entityId: card.id, details: { round: card.round_id } });
    setFlash(res, `The scorecard is reopened; its judge can change and submit it again.`);
    res.redirect(303, `/admin/judging/rounds/${card.round_id}/entries/${entry.reference}`);
  });

  // The judge's own pages: only the entries assigned to them (403 otherwise).
  async function openCard(req: Request, res: Response) {
    return scorecardForJudge(db, Number(req.params.roundId), String(req.params.reference), staffOf(res).id);
  }

  async function renderScorecard(req: Request, res: Response, status: number, extra: { values?: Record<string, unknown>; errors?: Record<string, string>; reason?: unknown } = {}) {
    const { round, entry, card, criteria, scores } = await openCard(req, res);
    const [category, documents] = await Promise.all([findCategoryById(db, entry.category_id), listDocuments(db, [entry.id])]);
    const now = new Date();
    const values =
      extra.values ?? {
        ...Object.fromEntries(scores.map((s) => [`c${s.criterion_id}`, String(s.value)])),
        comment: card.comment ?? '',
      };
    const blind = Boolean(round.blind);
    renderConsole(
      req,
      res,
      'judging/views/console-scorecard.njk',
      {
        title: `Scorecard for ${entry.reference}`,
        round: { id: round.id, name: round.name, blind, closes: when(round.closes_at), opens: when(round.opens_at) },
        open: now >= toDate(round.opens_at)! && now <= toDate(round.closes_at)!,
        notYet: now < toDate(round.opens_at)!,
        // Never the contact's details; in a blind round not who entered either.
        entry: {
          reference: entry.reference,
          category: category?.name,
          country: COUNTRIES.find((c) => c.code === entry.country)?.name ?? entry.country,
          statement: entry.statement,
          ...(blind ? {} : { organisation: entry.organisation, nominee: entry.nominee, website: entry.website }),
        },
        documents: documents.map((d) => ({ name: d.original_name, sizeKb: Math.max(1, Math.round(d.size_bytes / 1024)), url: `/admin/judging/${round.id}/${entry.reference}/documents/${d.storage_key}` })),
        card: { status: card.status, statusWord: STATUS_WORDS[card.status], submittedAt: when(card.submitted_at) },
        criteria: criteria.map((c) => ({ id: c.id, name: c.name, description: c.description, weight: Number(c.weight), min: c.min_score, max: c.max_score })),
        values,
        reason: typeof extra.reason === 'string' ? extra.reason : '',
        errors: extra.errors ?? {},
        labels: { ...Object.fromEntries(criteria.map((c) => [`c${c.id}`, c.name])), comment: 'Comment', reason: 'Reason' },
      },
      status,
    );
  }

  router.get('/judging/:roundId/:reference', csrf.provideToken, (req, res) => renderScorecard(req, res, 200));

  router.post('/judging/:roundId/:reference', ...body, async (req, res) => {
    const { round, card, criteria, entry } = await openCard(req, res);
    const form = req.body as Record<string, unknown>;
    const action: ScorecardAction = form.action === 'submit' ? 'submit' : 'save';
    try {
      await saveScorecard(db, card, round, criteria, { scores: form, comment: form.comment, action });
    } catch (err) {
      if (err instanceof AppError && err.code === 'validation_failed' && err.fields) return renderScorecard(req, res, 422, { values: form, errors: err.fields });
      throw err;
    }
    await recordAudit(db, actorOf(res), { action: `scorecard.${action}`, entity: 'scorecards', entityId: card.id, details: { round: round.id, entry: entry.reference } });
    setFlash(res, action === 'submit' ? `Your scorecard for ${entry.reference} is submitted.` : `Your draft for ${entry.reference} is saved.`);
    res.redirect(303, action === 'submit' ? '/admin/judging' : `/admin/judging/${round.id}/${entry.reference}`);
  });

  router.post('/judging/:roundId/:reference/conflict', ...body, async (req, res) => {
    const { card } = await openCard(req, res);
    const parsed = conflictInput.safeParse(req.body);
    if (!parsed.success) return renderScorecard(req, res, 422, { errors: fieldErrors(parsed.error), reason: (req.body as { reason?: unknown }).reason });
    const result = await declareConflict(db, card, parsed.data.reason, actorOf(res));
    setFlash(res, `You declared a conflict of interest on ${result.reference}; it has left your list${result.reassigned ? ' and passed to another judge' : ''}.`);
    res.redirect(303, '/admin/judging');
  });

  // Documents reach a judge only through their assignment, as downloads.
  router.get('/judging/:roundId/:reference/documents/:key', async (req, res) => {
    const { entry } = await openCard(req, res);
    sendDocument(res, deps.config.dataDir, (await listDocuments(db, [entry.id])).find((d) => d.storage_key === req.params.key));
  });

  return router;
}
