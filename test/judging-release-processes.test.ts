import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, afterEach, before, it } from 'node:test';
// @ts-expect-error: the build script is plain JavaScript, run by node without a build of its own.
import { build } from '../src/cli/build.mjs';
import { RESULT_MAIL } from '../src/judging/service';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { createProgramme } from './helpers/factories';
import { enter } from './helpers/judging';
import { exited, startWorker } from './helpers/processes';

/**
 * The results release across processes: the time is in the database, so a release that
 * fell due while nothing ran happens when processes start again, and when two start
 * together, each entrant still hears once.
 */
describeEachEngine('results release with two processes', (engine) => {
  let t: TestApp;
  const children: ChildProcess[] = [];
  before(async () => {
    await build(); // once, so the worker started below never races to build dist/
    t = await startTestApp(engine);
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.kill('SIGTERM');
      await exited(child);
    }
  });
  after(async () => {
    await t.close();
  });

  it('releases a release that fell due while no process ran, once, when this process and a worker start together', async () => {
    const { slug } = await createProgramme(t);
    const emails = Array.from({ length: 12 }, (_, i) => `entrant${i}@release.example`);
    const references: string[] = [];
    for (const [i, email] of emails.entries()) references.push(await enter(t, slug, { organisation: `Release Bank ${i}`, contactEmail: email }));
    await t.admin('patch', `/api/admin/entries/${references[0]}`).send({ status: 'shortlisted' }).expect(200);
    await t.admin('patch', `/api/admin/entries/${references[0]}`).send({ status: 'winner' }).expect(200);
    await t.flushMail();
    const confirmations = t.smtp.messages.length;

    // Everything is down; the release falls due meanwhile.
    await t.workers.results.stop();
    await t.admin('post', `/api/admin/awards/${slug}/results`).send({ releaseAt: new Date(Date.now() + 500).toISOString() }).expect(200);
    await new Promise((resolve) => setTimeout(resolve, 800));
    assert.equal(Number((await t.db('mail_jobs').where({ kind: RESULT_MAIL }).count({ n: '*' }))[0].n), 0, 'nothing releases while no process runs');

    // Both come back at once: a worker process on the same database, and this process's releaser.
    children.push(startWorker(t));
    t.workers.results.start();
    await t.smtp.waitFor((m) => /@release\.example/.test(JSON.stringify(m.to)) && !/^Entry received/.test(m.subject ?? ''), emails.length, 30_000);
    // Give both processes further passes: neither may release again.
    await t.workers.results.runOnce();
    await new Promise((resolve) => setTimeout(resolve, 6_000)); // the worker's releaser runs every 5 s
    await t.flushMail();

    for (const email of emails) {
      const results = t.smtp.to(email).filter((m) => !/^Entry received/.test(m.subject ?? ''));
      assert.equal(results.length, 1, `${email} hears once`);
    }
    assert.match(t.smtp.to(emails[0]).find((m) => /^Congratulations/.test(m.subject ?? ''))!.text!, /is the winner of Best Bank/);
    assert.equal(t.smtp.messages.length, confirmations + emails.length);
    const jobs = await t.db('mail_jobs').where({ kind: RESULT_MAIL }).select('status');
    assert.deepEqual([...new Set(jobs.map((j: { status: string }) => j.status))], ['sent']);
    assert.equal(jobs.length, emails.length, 'one job per entry, whoever queued it');
    const programme = await t.db('programmes').where({ slug }).first();
    assert.ok(programme.results_released_at, 'the claim is recorded');
  });
});
