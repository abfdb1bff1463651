import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import request from 'supertest';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { htmlFindings } from './helpers/html-validate';
import { createProgramme } from './helpers/factories';
import { createRound, enter, receiptPath, score, type Round } from './helpers/judging';
import { sentTo } from './helpers/smtp';
import { createStaff, signIn, submitForm, type Agent } from './helpers/staff';

const JUDGES = ['ann.judge@example.com', 'ben.judge@example.com', 'cat.judge@example.com', 'dan.judge@example.com'];
const ENTRANTS = {
  A: { organisation: 'Alpha Bank', category: 'best-bank', contactEmail: 'alpha@entrants.example', nominee: 'Alpha Treasury Team', notForPublication: ['nominee'] },
  B: { organisation: 'Beta Bank', category: 'best-bank', contactEmail: 'beta@entrants.example', nominee: 'Beta Retail' },
  C: { organisation: 'Gamma Bank', category: 'best-bank', contactEmail: 'gamma@entrants.example' },
  D: { organisation: 'Delta Pay', category: 'best-fintech', contactEmail: 'delta@entrants.example', website: 'https://delta-pay.example', notForPublication: ['website'] },
  E: { organisation: 'Epsilon Pay', category: 'best-fintech', contactEmail: 'epsilon@entrants.example' },
};
type Key = keyof typeof ENTRANTS;

describeEachEngine('judging a whole programme, from entries to the winners page', (engine) => {
  let t: TestApp;
  let slug: string;
  let round: Round;
  const ref = {} as Record<Key, string>;
  const judge = {} as Record<string, Agent>;

  before(async () => {
    t = await startTestApp(engine);
    slug = (await createProgramme(t)).slug;
    for (const key of Object.keys(ENTRANTS) as Key[]) ref[key] = await enter(t, slug, ENTRANTS[key]);
    for (const email of JUDGES) {
      await createStaff(t, email, 'judge');
      judge[email.split('.')[0]] = await signIn(t, email);
    }
    // Innovation 0–10 (weight 3) and Impact 1–5 (weight 1): a scorecard's total is (3 × I×10 + (P−1)×25) / 4.
    round = await createRound(t, slug, {
      criteria: [
        { name: 'Innovation', weight: 3, min: 0, max: 10 },
        { name: 'Impact', weight: 1, min: 1, max: 5 },
      ],
    });
  });
  after(async () => {
    await t.close();
  });

  const judgesOn = async (reference: string) =>
    (await t.db('judging_scorecards as s').join('entries as e', 'e.id', 's.entry_id').join('staff_users as u', 'u.id', 's.staff_id').where({ 'e.reference': reference, 's.round_id': round.id }).orderBy('u.email').pluck('u.email')).map(
      (e: string) => e.split('.')[0],
    );

  it('assigns three judges per entry, balanced and deterministic; a conflict passes the entry to the least-loaded free judge', async () => {
    const r = await t.admin('post', `/api/admin/rounds/${round.id}/assignments`).send({ judges: JUDGES }).expect(200);
    assert.deepEqual(r.body, { assigned: 15, unfilled: [] });
    // Least-loaded first, ties by address: A ann ben cat · B dan ann ben · C cat dan ann · D ben cat dan · E ann ben cat.
    assert.deepEqual(await judgesOn(ref.A), ['ann', 'ben', 'cat']);
    assert.deepEqual(await judgesOn(ref.B), ['ann', 'ben', 'dan']);
    assert.deepEqual(await judgesOn(ref.C), ['ann', 'cat', 'dan']);
    assert.deepEqual(await judgesOn(ref.D), ['ben', 'cat', 'dan']);
    assert.deepEqual(await judgesOn(ref.E), ['ann', 'ben', 'cat']);

    const list = await judge.cat.get('/admin/judging').expect(200);
    assert.match(list.text, /0 of 4 submitted/);
    const conflict = await submitForm(judge.cat, `/admin/judging/${round.id}/${ref.A}`, `/admin/judging/${round.id}/${ref.A}/conflict`, { reason: 'I advised Alpha Bank last year.' });
    assert.equal(conflict.status, 303);
    const after = await judge.cat.get('/admin/judging').expect(200);
    assert.match(after.text, /You declared a conflict of interest on/);
    assert.doesNotMatch(after.text, new RegExp(`href="/admin/judging/${round.id}/${ref.A}"`), 'the entry left the judge’s list');
    assert.match(after.text, /0 of 3 submitted/);
    assert.equal((await judge.cat.get(`/admin/judging/${round.id}/${ref.A}`)).status, 403);
    assert.deepEqual(await judgesOn(ref.A), ['ann', 'ben', 'dan'], 'dan had the fewest entries (3) and was free of A');

    const audit = await t.admin('get', `/api/admin/audit?entity=entries&entityId=${ref.A}`).expect(200);
    const line = audit.body.items.find((i: { action: string }) => i.action === 'scorecard.conflict');
    assert.equal(line.actor.label, 'cat.judge@example.com');
    assert.equal(line.details.reason, 'I advised Alpha Bank last year.');
    assert.equal(line.details.reassigned, true);

    // Assigning again never brings cat back onto A.
    assert.equal((await t.admin('post', `/api/admin/rounds/${round.id}/assignments`).send({ judges: JUDGES }).expect(200)).body.assigned, 0);
    assert.equal((await t.admin('post', `/api/admin/rounds/${round.id}/assignments/${ref.A}/cat.judge@example.com`)).status, 409);
  });

  it('takes scorecards from the judges; a submitted one is locked (409) until an admin reopens it', async () => {
    const cards: [string, Key, [number, number]][] = [
      ['ann', 'A', [10, 5]], // 100
      ['ben', 'A', [8, 3]], // 72.5
      ['dan', 'A', [6, 1]], // 45
      ['dan', 'B', [9, 5]], // 92.5
      ['ann', 'B', [8, 5]], // 85
      ['ben', 'B', [5, 3]], // 50
      ['cat', 'C', [4, 2]], // 36.25
      ['dan', 'C', [3, 1]], // 22.5
      ['ann', 'C', [7, 4]], // 71.25
      ['ben', 'D', [10, 5]], // 100
      ['cat', 'D', [9, 5]], // 92.5
      ['dan', 'D', [7, 4]], // 71.25
      ['ann', 'E', [5, 3]], // 50
      ['ben', 'E', [6, 1]], // 45
    ];
    for (const [who, key, values] of cards) {
      const r = await score(judge[who], round, ref[key], values, 'submit', `Comment by ${who} on ${key}: solid work.`);
      assert.equal(r.status, 303, `${who} on ${key}: ${r.status}`);
    }
    // cat only saves a draft on E: it must not count.
    assert.equal((await score(judge.cat, round, ref.E, [10, 5], 'save')).status, 303);
    assert.match((await judge.cat.get(`/admin/judging/${round.id}/${ref.E}`).expect(200)).text, /Draft saved/);

    const incomplete = await score(judge.cat, round, ref.E, [11, ''], 'submit');
    assert.equal(incomplete.status, 422);
    assert.match(incomplete.text, /Score Innovation with a whole number from 0 to 10/);
    assert.match(incomplete.text, /Score Impact from 1 to 5/);

    const again = await score(judge.ann, round, ref.A, [1, 1], 'submit');
    assert.equal(again.status, 409, 'a submitted scorecard is locked');
    const cardId = (await t.admin('get', `/api/admin/rounds/${round.id}/scorecards?reference=${ref.A}`).expect(200)).body.items.find((c: { judge: string }) => c.judge === 'ann.judge@example.com').id;
    await t.admin('post', `/api/admin/scorecards/${cardId}/reopen`).expect(200);
    assert.equal((await t.admin('post', `/api/admin/scorecards/${cardId}/reopen`)).status, 409, 'only a submitted scorecard reopens');
    assert.equal((await score(judge.ann, round, ref.A, [10, 5], 'submit')).status, 303, 'reopened, it can be submitted again');

    const progress = (await t.admin('get', `/api/admin/awards/${slug}/rounds`).expect(200)).body.items[0].progress;
    assert.deepEqual(progress, { assignments: 15, submitted: 14, conflicts: 1 });
  });

  it('ranks each category by the weighted mean on 0–100, with the median, computed on the database', async () => {
    const board = await t.admin('get', `/api/admin/rounds/${round.id}/leaderboard`).expect(200);
    const rows = board.body.items.map((i: Record<string, unknown>) => [i.category, i.reference, i.judges, i.submitted, i.conflicts, i.score, i.median, i.rank]);
    assert.deepEqual(rows, [
      ['best-bank', ref.B, 3, 3, 0, 75.83, 85, 1], // (92.5 + 85 + 50) / 3 = 75.833…
      ['best-bank', ref.A, 3, 3, 1, 72.5, 72.5, 2], // (100 + 72.5 + 45) / 3
      ['best-bank', ref.C, 3, 3, 0, 43.33, 36.25, 3], // (36.25 + 22.5 + 71.25) / 3 = 43.333…
      ['best-fintech', ref.D, 3, 3, 0, 87.92, 92.5, 1], // (100 + 92.5 + 71.25) / 3 = 87.916…
      ['best-fintech', ref.E, 3, 2, 0, 47.5, 47.5, 2], // (50 + 45) / 2: cat's draft does not count
    ]);
    assert.equal(board.body.items[0].organisation, 'Beta Bank');

    const csv = await t.admin('get', `/api/admin/rounds/${round.id}/leaderboard?format=csv`).expect(200);
    assert.match(csv.headers['content-type'], /text\/csv/);
    const lines = csv.text.trim().split('\n');
    assert.equal(lines[0], 'rank,category,reference,organisation,status,judges,submitted,conflicts,score,median');
    assert.equal(lines[1], `1,best-bank,${ref.B},Beta Bank,submitted,3,3,0,75.83,85`);
  });

  it('lets an admin shortlist and name winners from the leaderboard page, through the status workflow', async () => {
    await createStaff(t, 'chair@example.com', 'admin');
    const chair = await signIn(t, 'chair@example.com');
    const page = `/admin/judging/rounds/${round.id}`;
    const html = (await chair.get(page).expect(200)).text;
    assert.match(html, /75\.83/);
    const decide = async (key: Key, status: string) => {
      const r = await submitForm(chair, page, `/admin/judging/rounds/${round.id}/entries/${ref[key]}/status`, { status });
      assert.equal(r.status, 303, `${key} → ${status}`);
    };
    await decide('B', 'shortlisted');
    await decide('A', 'shortlisted');
    await decide('C', 'not_shortlisted');
    await decide('D', 'shortlisted');
    await decide('B', 'winner');
    await decide('D', 'winner');
    const refused = await submitForm(chair, page, `/admin/judging/rounds/${round.id}/entries/${ref.C}/status`, { status: 'winner' });
    assert.equal(refused.status, 409, 'not shortlisted is final');

    const history = (await t.admin('get', `/api/admin/entries/${ref.B}`).expect(200)).body.history;
    assert.deepEqual(history.slice(1).map((h: { to: string; by: string }) => [h.to, h.by]), [['shortlisted', 'chair@example.com'], ['winner', 'chair@example.com']]);
    assert.equal((await judge.ann.get(page)).status, 403, 'judges do not see the leaderboard');
    assert.equal((await chair.get(`/admin/judging/rounds/${round.id}/leaderboard.csv`).expect(200)).headers['content-type'].startsWith('text/csv'), true);
  });

  it('keeps the results under embargo: receipts say under review, no result email, the winners page says when', async () => {
    const future = new Date(Date.now() + 30 * 86_400_000);
    await t.admin('post', `/api/admin/awards/${slug}/results`).send({ releaseAt: future.toISOString() }).expect(200);
    const receipt = await request(t.app).get(await receiptPath(t, slug, ref.B)).expect(200);
    assert.match(receipt.text, /<dt>Status<\/dt><dd>Under review<\/dd>/);
    assert.doesNotMatch(receipt.text, /Winner|Shortlisted/);
    const winners = await request(t.app).get(`/awards/${slug}/winners`).expect(404);
    assert.match(winners.text, /The results will be announced on/);
    assert.doesNotMatch(winners.text, /Beta Bank/);
    await t.workers.results.runOnce();
    await t.flushMail();
    assert.equal(t.smtp.messages.filter((m) => /Results|Congratulations|Shortlisted/.test(m.subject ?? '')).length, 0, 'no result email before the release');
  });

  it('releases at once on "now": one email per entrant with their outcome, and the winners page', async () => {
    const released = await t.admin('post', `/api/admin/awards/${slug}/results`).send({ releaseAt: 'now' }).expect(200);
    assert.equal(released.body.released, true);
    await t.smtp.waitFor((m) => /@entrants\.example/.test(JSON.stringify(m.to)) && !/^Entry received/.test(m.subject ?? ''), 5);
    await t.workers.results.runOnce();
    await t.flushMail();
    const outcome = (key: Key) => {
      const mails = t.smtp.messages.filter(sentTo(ENTRANTS[key].contactEmail)).filter((m) => !/^Entry received/.test(m.subject ?? ''));
      assert.equal(mails.length, 1, `${key} gets one result email`);
      return mails[0];
    };
    assert.match(outcome('B').subject!, /^Congratulations: /);
    assert.match(outcome('B').text!, /is the winner of Best Bank/);
    assert.match(outcome('A').text!, /is on the shortlist of Best Bank/);
    assert.match(outcome('C').text!, /was not shortlisted/);
    assert.match(outcome('D').text!, /is the winner of Best Fintech/);
    assert.match(outcome('E').text!, /was not shortlisted/, 'an entry never decided is not shortlisted');
    for (const key of Object.keys(ENTRANTS) as Key[]) {
      const mail = outcome(key);
      assert.deepEqual(await htmlFindings(String(mail.html), 'email'), [], `the HTML part MJML compiled for ${key} is valid`);
      assert.doesNotMatch(`${mail.text}${mail.html}`, /judge|Comment by|72\.5|75\.83/i, 'no judge, score or comment reaches an entrant');
    }

    const receipt = await request(t.app).get(await receiptPath(t, slug, ref.B)).expect(200);
    assert.match(receipt.text, /<dt>Status<\/dt><dd>Winner<\/dd>/);
    assert.doesNotMatch(receipt.text, /judge|Comment by/i);

    const winners = await request(t.app).get(`/awards/${slug}/winners`).expect(200);
    const bank = winners.text.slice(winners.text.indexOf('Best Bank'), winners.text.indexOf('Best Fintech'));
    assert.match(bank, /Winner<\/p>\s*<h3>Beta Bank<\/h3>\s*<p>Beta Retail<\/p>/);
    assert.match(bank, /Shortlisted<\/p>\s*<h3>Alpha Bank<\/h3>/);
    assert.doesNotMatch(winners.text, /Alpha Treasury Team/, 'a nominee kept from publication');
    assert.doesNotMatch(winners.text, /delta-pay\.example/, 'a website kept from publication');
    assert.doesNotMatch(winners.text, /Gamma Bank|Epsilon Pay/);
    assert.match((await request(t.app).get(`/awards/${slug}`).expect(200)).text, new RegExp(`href="/awards/${slug}/winners"`));

    assert.equal((await t.admin('post', `/api/admin/awards/${slug}/results`).send({ releaseAt: 'now' })).status, 409, 'released once');
  });
});
