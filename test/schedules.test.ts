import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import request from 'supertest';
import { ConfigError, loadConfig } from '../src/config';
import { createDb, type Db } from '../src/db';
import { createLogger } from '../src/logger';
import { runDueSchedules, type RunnerDeps } from '../src/schedules/runner';
import { scheduleInput } from '../src/schedules/schema';
import { createSchedule } from '../src/schedules/service';
import { createApiToken } from '../src/staff/service';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { addConfirmedSubscribers } from './helpers/sending';
import { createStaff } from './helpers/staff';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The hour and minute on London's clock at `instant`, "07:00". */
const londonClock = (instant: string) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(instant));

describe('SCHEDULE_CATCHUP_MINUTES', () => {
  it('defaults to 60, takes a whole number of minutes, and stops the start on anything else', () => {
    const base = { DATA_DIR: '/tmp/masthead-config-test', ADMIN_TOKEN: 'a'.repeat(20), SECRET: 'b'.repeat(20) };
    assert.equal(loadConfig(base).scheduleCatchupMinutes, 60);
    assert.equal(loadConfig({ ...base, SCHEDULE_CATCHUP_MINUTES: '0' }).scheduleCatchupMinutes, 0);
    assert.throws(() => loadConfig({ ...base, SCHEDULE_CATCHUP_MINUTES: 'an hour' }), (err: Error) => err instanceof ConfigError && /SCHEDULE_CATCHUP_MINUTES must be a whole number/.test(err.message));
    assert.throws(() => loadConfig({ ...base, SCHEDULE_CATCHUP_MINUTES: '-5' }), ConfigError);
  });
});

describeEachEngine('digest schedules', (engine) => {
  let t: TestApp;
  let deps: RunnerDeps;
  let articleCounter = 0;

  before(async () => {
    t = await startTestApp(engine);
    // The tests drive the runner's clock themselves; the background pass (real time) stays off.
    await t.workers.schedules.stop();
    deps = { db: t.db, config: t.config, logger: createLogger('silent'), deliveryQueued: () => t.workers.delivery.kick() };
    await addConfirmedSubscribers(t, [{ email: 'reader@schedules.example', topics: ['finance', 'banking', 'fintech', 'investing', 'insurance'] }]);
  });
  afterEach(async () => {
    await t.db('schedules').delete();
  });
  after(async () => {
    await t.close();
  });

  async function addArticle(topic: string, publishedAt: Date) {
    articleCounter++;
    const r = await t.admin('post', '/api/admin/articles').send({
      title: `Scheduled story ${articleCounter}`,
      url: `https://news.example/scheduled/${articleCounter}`,
      summary: `Story ${articleCounter}, for a scheduled digest of ${topic}.`,
      topic,
      publishedAt: publishedAt.toISOString(),
    });
    assert.ok(r.status < 300, JSON.stringify(r.body));
  }

  /** A schedule as if created at `now` (through the service the API uses). */
  const scheduleAt = (body: Record<string, unknown>, now: Date) => createSchedule(t.db, scheduleInput.parse(body), now);

  /** Runs the runner every `stepMinutes` from `from` to `to`, as the periodic task would. */
  async function walk(from: string, to: string, stepMinutes = 15, runnerDeps = deps) {
    for (let at = new Date(from).getTime(); at <= new Date(to).getTime(); at += stepMinutes * MINUTE) await runDueSchedules(runnerDeps, new Date(at));
  }

  const runsOf = async (scheduleId: number) => {
    const r = await t.admin('get', `/api/admin/schedules/${scheduleId}/runs?pageSize=100`).expect(200);
    return (r.body.items as { occurrenceAt: string; outcome: string; digestId: string | null; reason: string | null }[]).reverse();
  };
  const digestCount = async () => Number((await t.db('digests').where({ is_test: false }).count({ n: '*' }))[0].n);

  describe('the admin API', () => {
    it('creates a schedule with its next run in its zone, lists, reads, changes and removes it, each change audited', async () => {
      const created = await t.admin('post', '/api/admin/schedules').send({ topics: ['finance'], cron: '0 7 * * 1-5', timeZone: 'Europe/London', limit: 5, subject: 'Morning finance' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const s = created.body;
      assert.deepEqual({ topics: s.topics, cron: s.cron, timeZone: s.timeZone, limit: s.limit, subject: s.subject, lastRun: s.lastRun }, {
        topics: ['finance'], cron: '0 7 * * 1-5', timeZone: 'Europe/London', limit: 5, subject: 'Morning finance', lastRun: null,
      });
      const next = new Date(s.nextRunAt);
      assert.ok(next > new Date() && next.getTime() - Date.now() <= 4 * 24 * HOUR, 'the next weekday morning');
      assert.equal(londonClock(s.nextRunAt), '07:00');
      assert.ok([1, 2, 3, 4, 5].includes(new Date(next.toLocaleString('en-US', { timeZone: 'Europe/London' })).getDay()), 'a weekday');

      const list = await t.admin('get', '/api/admin/schedules').expect(200);
      assert.deepEqual({ total: list.body.total, page: list.body.page, pageSize: list.body.pageSize, ids: list.body.items.map((i: { id: number }) => i.id) }, { total: 1, page: 1, pageSize: 50, ids: [s.id] });
      assert.equal((await t.admin('get', `/api/admin/schedules/${s.id}`).expect(200)).body.nextRunAt, s.nextRunAt);

      // Only the subject changes: the next run stays; a new cron moves it.
      const renamed = await t.admin('patch', `/api/admin/schedules/${s.id}`).send({ subject: null, topics: ['banking', 'finance'] }).expect(200);
      assert.deepEqual([renamed.body.subject, renamed.body.topics, renamed.body.nextRunAt], [null, ['banking', 'finance'], s.nextRunAt]);
      const retimed = await t.admin('patch', `/api/admin/schedules/${s.id}`).send({ cron: '30 18 * * *', timeZone: 'America/New_York' }).expect(200);
      assert.equal(new Intl.DateTimeFormat('en-GB', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(retimed.body.nextRunAt)), '18:30');

      await t.admin('delete', `/api/admin/schedules/${s.id}`).expect(204);
      await t.admin('get', `/api/admin/schedules/${s.id}`).expect(404);
      await t.admin('delete', `/api/admin/schedules/${s.id}`).expect(404);
      const audit = await t.db('audit_log').where({ entity: 'schedules' }).orderBy('id').select('action', 'entity_id');
      assert.deepEqual(audit.map((a: { action: string }) => a.action), ['schedules.create', 'schedules.update', 'schedules.update', 'schedules.delete']);
      assert.equal(String(audit[3].entity_id), String(s.id));
    });

    it('refuses a bad cron, an unknown zone, unknown topics and a limit out of range with a plain message per field, storing nothing', async () => {
      const cases: [Record<string, unknown>, string, RegExp][] = [
        [{ cron: '0 7 * *' }, 'cron', /exactly five fields/],
        [{ cron: '0 7 * * * *' }, 'cron', /exactly five fields/],
        [{ cron: '61 7 * * *' }, 'cron', /not a schedule we can read.*"0 7 \* \* 1-5"/],
        [{ cron: '0 0 30 2 *' }, 'cron', /never matches a date/],
        [{ timeZone: 'Mars/Olympus' }, 'timeZone', /IANA time zone/],
        [{ topics: ['finance', 'no-such-topic'] }, 'topics', /There is no topic "no-such-topic"/],
        [{ topics: [] }, 'topics', /at least one topic/],
        [{ limit: 0 }, 'limit', /1 to 50/],
        [{ limit: 51 }, 'limit', /1 to 50/],
      ];
      for (const [change, field, message] of cases) {
        const r = await t.admin('post', '/api/admin/schedules').send({ topics: ['finance'], cron: '0 7 * * *', timeZone: 'Europe/London', ...change });
        assert.equal(r.status, 422, JSON.stringify(change));
        assert.equal(r.body.error.code, 'validation_failed');
        assert.match(r.body.error.fields[field], message, JSON.stringify(r.body));
      }
      assert.equal(Number((await t.db('schedules').count({ n: '*' }))[0].n), 0);
      const ok = await t.admin('post', '/api/admin/schedules').send({ topics: ['finance'], cron: '0 7 * * *', timeZone: 'Europe/London' }).expect(201);
      const bad = await t.admin('patch', `/api/admin/schedules/${ok.body.id}`).send({ cron: 'every day' });
      assert.equal(bad.status, 422);
      assert.ok(bad.body.error.fields.cron);
      assert.equal((await t.admin('get', `/api/admin/schedules/${ok.body.id}`)).body.cron, '0 7 * * *', 'unchanged');
    });

    it('lets editors manage schedules with their token; judges get 403', async () => {
      const editor = await createStaff(t, 'editor@schedules.example', 'editor');
      const judge = await createStaff(t, 'judge@schedules.example', 'judge');
      const editorToken = (await createApiToken(t.db, editor, 'script')).token;
      const judgeToken = (await createApiToken(t.db, judge, 'script')).token;
      const body = { topics: ['finance'], cron: '0 7 * * *', timeZone: 'UTC' };
      const made = await request(t.app).post('/api/admin/schedules').set('Authorization', `Bearer ${editorToken}`).send(body).expect(201);
      await request(t.app).delete(`/api/admin/schedules/${made.body.id}`).set('Authorization', `Bearer ${editorToken}`).expect(204);
      const asJudge = await request(t.app).get('/api/admin/schedules').set('Authorization', `Bearer ${judgeToken}`);
      assert.equal(asJudge.status, 403);
      await request(t.app).get('/api/admin/schedules').expect(401);
    });
  });

  describe('occurrences across daylight-saving changes (Europe/London)', () => {
    it('"0 7 * * *" runs at 07:00 local around 29 March 2026: 07:00Z before, 06:00Z after; nothing new is skipped', async () => {
      await addArticle('finance', new Date('2026-03-27T10:00:00Z'));
      const s = await scheduleAt({ topics: ['finance'], cron: '0 7 * * *', timeZone: 'Europe/London' }, new Date('2026-03-27T12:00:00Z'));
      assert.equal(s.nextRunAt, '2026-03-28T07:00:00.000Z');
      await walk('2026-03-27T12:00:00Z', '2026-03-30T23:45:00Z');
      const runs = await runsOf(s.id);
      assert.deepEqual(runs.map((r) => [r.occurrenceAt, r.outcome]), [
        ['2026-03-28T07:00:00.000Z', 'sent'],
        ['2026-03-29T06:00:00.000Z', 'skipped'],
        ['2026-03-30T06:00:00.000Z', 'skipped'],
      ]);
      assert.match(runs[1].reason!, /No Finance article/);
      const after = (await t.admin('get', `/api/admin/schedules/${s.id}`)).body;
      assert.equal(after.nextRunAt, '2026-03-31T06:00:00.000Z', 'advanced past the skipped one');
      assert.deepEqual(after.lastRun, { at: '2026-03-30T06:00:00.000Z', outcome: 'skipped', reason: runs[2].reason });
      const digest = await t.db('digests').where({ id: runs[0].digestId }).first();
      assert.ok(digest, 'the sent run names its digest');
      const key = await t.db('digest_requests').where({ digest_id: runs[0].digestId }).first();
      assert.equal(key.idempotency_key, `schedule:${s.id}:2026-03-28T07:00:00.000Z`);
    });

    it('"0 7 * * *" around 25 October 2026: 06:00Z before, 07:00Z after', async () => {
      const s = await scheduleAt({ topics: ['banking'], cron: '0 7 * * *', timeZone: 'Europe/London' }, new Date('2026-10-23T12:00:00Z'));
      await walk('2026-10-23T12:00:00Z', '2026-10-26T23:45:00Z');
      const runs = await runsOf(s.id);
      assert.deepEqual(runs.map((r) => r.occurrenceAt), ['2026-10-24T06:00:00.000Z', '2026-10-25T07:00:00.000Z', '2026-10-26T07:00:00.000Z']);
      assert.deepEqual(runs.map((r) => londonClock(r.occurrenceAt)), ['07:00', '07:00', '07:00']);
    });

    it('"30 1 * * *" runs once on 25 October, when 01:30 happens twice', async () => {
      await addArticle('fintech', new Date('2026-10-24T20:00:00Z'));
      const before = await digestCount();
      const s = await scheduleAt({ topics: ['fintech'], cron: '30 1 * * *', timeZone: 'Europe/London' }, new Date('2026-10-24T12:00:00Z'));
      await walk('2026-10-24T12:00:00Z', '2026-10-25T23:45:00Z', 5);
      const runs = await runsOf(s.id);
      assert.deepEqual(runs.map((r) => [r.occurrenceAt, r.outcome]), [['2026-10-25T00:30:00.000Z', 'sent']]);
      assert.equal(await digestCount(), before + 1);
    });

    it('"30 1 * * *" runs once on 29 March, when 01:30 does not exist (at 02:00 BST, the first time after the gap)', async () => {
      const s = await scheduleAt({ topics: ['fintech'], cron: '30 1 * * *', timeZone: 'Europe/London' }, new Date('2026-03-28T12:00:00Z'));
      await walk('2026-03-28T12:00:00Z', '2026-03-29T23:45:00Z', 5);
      const runs = await runsOf(s.id);
      assert.deepEqual(runs.map((r) => r.occurrenceAt), ['2026-03-29T01:00:00.000Z']);
      assert.equal(londonClock(runs[0].occurrenceAt), '02:00');
    });
  });

  describe('restarts', () => {
    /** A schedule whose occurrence fell `lateMinutes` ago while the runner was stopped, as after a restart. */
    async function dueWhileDown(topic: string, lateMinutes: number) {
      const occurrence = new Date(Math.floor((Date.now() - lateMinutes * MINUTE) / MINUTE) * MINUTE);
      const cron = `${occurrence.getUTCMinutes()} ${occurrence.getUTCHours()} * * *`;
      const created = await t.admin('post', '/api/admin/schedules').send({ topics: [topic], cron, timeZone: 'UTC' }).expect(201);
      const tomorrow = created.body.nextRunAt;
      // The schedule existed before the occurrence: its stored next run is that occurrence.
      await t.db('schedules').where({ id: created.body.id }).update({ next_run_at: occurrence });
      return { id: created.body.id as number, occurrence, tomorrow: tomorrow as string };
    }

    it('an occurrence 30 minutes late runs once when the runner starts', async () => {
      await addArticle('investing', new Date(Date.now() - 2 * HOUR));
      const before = await digestCount();
      const s = await dueWhileDown('investing', 30);
      t.workers.schedules.start();
      await t.workers.schedules.runOnce();
      await t.workers.schedules.stop();
      await runDueSchedules(deps); // a later pass finds nothing due
      const runs = await runsOf(s.id);
      assert.deepEqual(runs.map((r) => [r.occurrenceAt, r.outcome]), [[s.occurrence.toISOString(), 'sent']]);
      assert.equal(await digestCount(), before + 1);
      assert.equal((await t.admin('get', `/api/admin/schedules/${s.id}`)).body.nextRunAt, s.tomorrow);
      const reader = await t.smtp.waitFor((m) => /reader@schedules\.example/.test(JSON.stringify(m.to)) && /Investing/.test(m.subject ?? ''));
      assert.equal(reader.length, 1);
    });

    it('an occurrence 90 minutes late is recorded as missed and sends nothing', async () => {
      await addArticle('insurance', new Date(Date.now() - 3 * HOUR));
      const before = await digestCount();
      const s = await dueWhileDown('insurance', 90);
      await runDueSchedules(deps);
      const runs = await runsOf(s.id);
      assert.deepEqual(runs.map((r) => [r.occurrenceAt, r.outcome]), [[s.occurrence.toISOString(), 'missed']]);
      assert.match(runs[0].reason!, /90 minutes late .*SCHEDULE_CATCHUP_MINUTES is 60/);
      assert.equal(await digestCount(), before);
      const after = (await t.admin('get', `/api/admin/schedules/${s.id}`)).body;
      assert.deepEqual([after.nextRunAt, after.lastRun.outcome], [s.tomorrow, 'missed']);
    });

    it('several occurrences passed while down: one missed line for them, the latest runs if within the catch-up', async () => {
      const s = await scheduleAt({ topics: ['banking'], cron: '0 * * * *', timeZone: 'UTC' }, new Date('2026-05-01T00:30:00Z'));
      await addArticle('banking', new Date('2026-05-01T04:00:00Z'));
      await runDueSchedules(deps, new Date('2026-05-01T05:20:00Z'));
      const runs = await runsOf(s.id);
      assert.deepEqual(runs.map((r) => [r.occurrenceAt, r.outcome]), [
        ['2026-05-01T01:00:00.000Z', 'missed'],
        ['2026-05-01T05:00:00.000Z', 'sent'],
      ]);
      assert.match(runs[0].reason!, /until 2026-05-01T05:00:00.000Z/);
      assert.equal((await t.admin('get', `/api/admin/schedules/${s.id}`)).body.nextRunAt, '2026-05-01T06:00:00.000Z');
    });
  });

  describe('one email per reader', () => {
    it('a schedule of three topics sends one digest; a reader of all three gets one email with a section each', async () => {
      const s = await scheduleAt({ topics: ['finance', 'banking', 'fintech'], cron: '0 7 * * *', timeZone: 'Europe/London' }, new Date('2026-08-02T12:00:00Z'));
      for (const topic of ['finance', 'banking', 'fintech']) await addArticle(topic, new Date('2026-08-03T05:00:00Z'));
      await walk('2026-08-03T05:45:00Z', '2026-08-03T06:15:00Z');
      const runs = await runsOf(s.id);
      assert.deepEqual(runs.map((r) => [r.occurrenceAt, r.outcome]), [['2026-08-03T06:00:00.000Z', 'sent']]);
      const digest = (await t.admin('get', `/api/admin/digests/${runs[0].digestId}`).expect(200)).body;
      assert.deepEqual(digest.topics, ['finance', 'banking', 'fintech']);
      // This digest's message (its Message-ID starts with the digest's id), not a late one from an earlier test.
      const ofThisDigest = (m: { messageId?: string; to?: unknown }) => /reader@schedules\.example/.test(JSON.stringify(m.to)) && String(m.messageId).includes(runs[0].digestId!);
      const [mail] = await t.smtp.waitFor(ofThisDigest);
      const sections = [...String(mail.html).matchAll(/<h2[^>]*>([^<]+)<\/h2>/g)].map((m) => m[1]);
      assert.deepEqual(sections, ['Finance', 'Banking', 'Fintech']);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(t.smtp.messages.filter(ofThisDigest).length, 1, 'one email, not one per topic');
    });
  });

  describe('two runners, one occurrence', () => {
    let second: Db;
    before(() => {
      second = createDb({ databaseUrl: t.database.databaseUrl, dataDir: t.database.dataDir });
    });
    after(async () => {
      await second.destroy();
    });

    it('two runners on their own connections racing on one due occurrence make one digest and one run row', async () => {
      await addArticle('insurance', new Date('2026-06-01T05:00:00Z'));
      const before = await digestCount();
      const s = await scheduleAt({ topics: ['insurance'], cron: '0 7 * * *', timeZone: 'Europe/London' }, new Date('2026-06-01T00:00:00Z'));
      const now = new Date('2026-06-01T06:00:05Z');
      const results = await Promise.all([runDueSchedules(deps, now), runDueSchedules({ ...deps, db: second }, now), runDueSchedules(deps, now), runDueSchedules({ ...deps, db: second }, now)]);
      assert.equal(results.flat().length, 1, 'one runner handled it');
      const runs = await runsOf(s.id);
      assert.deepEqual(runs.map((r) => [r.occurrenceAt, r.outcome]), [['2026-06-01T06:00:00.000Z', 'sent']]);
      assert.equal(await digestCount(), before + 1);
      assert.equal((await t.admin('get', `/api/admin/schedules/${s.id}`)).body.nextRunAt, '2026-06-02T06:00:00.000Z');
    });

    it('a run left running by a process that stopped is taken over after a while, with the same idempotency key (still one digest)', async () => {
      await addArticle('investing', new Date('2026-07-01T05:00:00Z'));
      const s = await scheduleAt({ topics: ['investing'], cron: '0 6 * * *', timeZone: 'UTC' }, new Date('2026-07-01T00:00:00Z'));
      // The claim of a process that died at once.
      await t.db('schedule_runs').insert({ schedule_id: s.id, occurrence_at: new Date('2026-07-01T06:00:00Z'), outcome: 'running', started_at: new Date('2026-07-01T06:00:01Z') });
      assert.deepEqual(await runDueSchedules(deps, new Date('2026-07-01T06:05:00Z')), [], 'not yet: it may still be working');
      const [taken] = await runDueSchedules(deps, new Date('2026-07-01T06:15:00Z'));
      assert.equal(taken.outcome, 'sent');
      const runs = await runsOf(s.id);
      assert.deepEqual(runs.map((r) => r.outcome), ['sent']);
    });
  });
});
