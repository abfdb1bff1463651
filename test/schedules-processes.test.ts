import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, it } from 'node:test';
// @ts-expect-error: the build script is plain JavaScript, run by node without a build of its own.
import { build } from '../src/cli/build.mjs';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { killChildren, startWorker } from './helpers/processes';
import { addArticles, addConfirmedSubscribers } from './helpers/sending';

const MINUTE = 60_000;

/**
 * One occurrence, several processes: two `npm run worker` processes start together on one
 * database while a schedule's occurrence is due (it fell due minutes ago, while nothing ran).
 * Each runs its schedule pass at start; exactly one digest goes out and one run is recorded.
 */
describeEachEngine('digest schedules with two worker processes', (engine) => {
  let t: TestApp;
  const children: ChildProcess[] = [];
  before(async () => {
    await build(); // once, so the workers started below never race to build dist/
    t = await startTestApp(engine);
    await t.workers.schedules.stop(); // only the worker processes run schedules here
  });
  after(async () => {
    await killChildren(children);
    await t.close();
  });

  it('two workers starting together on a due occurrence send one digest, record one run, and both move on', async () => {
    await addArticles(t, 'banking', 2, 'Scheduled');
    const readers = Array.from({ length: 5 }, (_, i) => `sched${i}@processes.example`);
    await addConfirmedSubscribers(t, readers.map((email) => ({ email, topics: ['banking'] })));
    const occurrence = new Date(Math.floor((Date.now() - 5 * MINUTE) / MINUTE) * MINUTE);
    const created = await t.admin('post', '/api/admin/schedules').send({ topics: ['banking'], cron: `${occurrence.getUTCMinutes()} ${occurrence.getUTCHours()} * * *`, timeZone: 'UTC' }).expect(201);
    const tomorrow = created.body.nextRunAt;
    await t.db('schedules').where({ id: created.body.id }).update({ next_run_at: occurrence });

    children.push(startWorker(t), startWorker(t));
    const mail = await t.smtp.waitFor((m) => /processes\.example/.test(JSON.stringify(m.to)), readers.length, 60_000);
    assert.equal(mail.length, readers.length);
    // Both processes have had their pass at start; wait for the next run row state to settle.
    const deadline = Date.now() + 30_000;
    while ((await t.admin('get', `/api/admin/schedules/${created.body.id}`)).body.nextRunAt !== tomorrow) {
      assert.ok(Date.now() < deadline, 'next_run_at moved on');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await killChildren(children);

    const runs = await t.db('schedule_runs').where({ schedule_id: created.body.id });
    assert.equal(runs.length, 1, 'one run row');
    assert.equal(runs[0].outcome, 'sent');
    const digests = await t.db('digests').where({ is_test: false });
    assert.equal(digests.length, 1, 'one digest');
    assert.equal(digests[0].id, runs[0].digest_id);
    for (const email of readers) assert.equal(t.smtp.to(email).length, 1, `${email} got one email`);
  });
});
