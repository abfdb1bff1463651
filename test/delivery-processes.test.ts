import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, afterEach, before, it } from 'node:test';
// @ts-expect-error: the build script is plain JavaScript, run by node without a build of its own.
import { build } from '../src/cli/build.mjs';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine, type Engine } from './helpers/engines';
import { commandEnv, exited, root, startWorker } from './helpers/processes';
import { addArticles, addConfirmedSubscribers, messagesPerRecipient, waitForDigest } from './helpers/sending';

function suite(engine: Engine) {
  let t: TestApp;
  const children: ChildProcess[] = [];
  before(async () => {
    await build(); // once, so the workers started below never race to build dist/
    t = await startTestApp(engine);
    // Only the worker processes send in these tests.
    await t.workers.delivery.stop();
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.kill('SIGKILL');
      await exited(child);
    }
  });
  after(async () => {
    await t.close();
  });

  it('finishes a send after its worker is killed with SIGKILL; duplicates only among messages in flight at the kill', async (ctx) => {
    await addArticles(t, 'banking', 2, 'Crash');
    const emails = Array.from({ length: 300 }, (_, i) => `crash${i}@example.com`);
    await addConfirmedSubscribers(t, emails.map((email) => ({ email, topics: ['banking'] })));
    const first = startWorker(t, { SEND_RATE: '100', SEND_LEASE_SECONDS: '2' });
    children.push(first);
    const trigger = await t.admin('post', '/api/admin/digests').send({ topic: 'banking' }).expect(202);
    await t.smtp.waitFor(() => true, 60, 30_000);

    first.kill('SIGKILL');
    await exited(first);
    const inFlight = Number((await t.db('deliveries').where({ digest_id: trigger.body.id, status: 'sending' }).count({ n: '*' }))[0].n);
    const sentAtKill = t.smtp.messages.length;
    assert.ok(sentAtKill < emails.length, 'the kill happened mid-send');

    const second = startWorker(t, { SEND_LEASE_SECONDS: '2' });
    children.push(second);
    const done = await waitForDigest(t, trigger.body.id, ['sent'], 60_000);
    assert.equal(done.counts.sent, emails.length);

    const counts = messagesPerRecipient(t, emails);
    for (const [email, n] of counts) assert.ok(n >= 1, `${email} got the digest`);
    const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
    ctx.diagnostic(`killed after ${sentAtKill} of ${emails.length} messages; ${inFlight} claimed and unrecorded; ${duplicates} duplicate(s)`);
    assert.ok(duplicates <= inFlight, `${duplicates} duplicate(s), at most the ${inFlight} message(s) claimed but not recorded at the kill`);
  });

  it('sends a digest from the command line (`npm run digest`) with a progress bar to the end', async () => {
    await addArticles(t, 'insurance', 2, 'Cli');
    const emails = Array.from({ length: 40 }, (_, i) => `cli${i}@example.com`);
    await addConfirmedSubscribers(t, emails.map((email) => ({ email, topics: ['insurance'] })));
    const cli = spawn(process.execPath, ['src/cli/start.mjs', 'cli/digest', '--topic', 'insurance', '--subject', 'From the command line'], {
      cwd: root,
      env: commandEnv(t),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(cli);
    let output = '';
    cli.stdout!.on('data', (chunk) => (output += chunk));
    cli.stderr!.on('data', (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => cli.once('exit', resolve));
    assert.equal(code, 0, output);
    assert.match(output, /Digest \S+: 40 recipient\(s\)/);
    assert.match(output, /\[█{30}\] 100% 40\/40 sent · 0 failed/);
    for (const email of emails) assert.equal(messagesPerRecipient(t, [email]).get(email), 1);
    assert.ok(t.smtp.messages.some((m) => m.subject === 'From the command line'));

    const again = spawn(process.execPath, ['src/cli/start.mjs', 'cli/digest', '--topic', 'insurance'], {
      cwd: root,
      env: commandEnv(t),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let errors = '';
    again.stderr!.on('data', (chunk) => (errors += chunk));
    assert.equal(await new Promise((resolve) => again.once('exit', resolve)), 2, 'nothing new: a clear refusal');
    assert.match(errors, /no_new_articles/);
  });

  if (engine.name === 'postgres') {
    it('lets three worker processes share one 3,000-recipient send with no duplicates, each doing part', async () => {
      await addArticles(t, 'fintech', 3, 'Shared');
      const emails = Array.from({ length: 3000 }, (_, i) => `shared${i}@example.com`);
      await addConfirmedSubscribers(t, emails.map((email) => ({ email, topics: ['fintech'] })));
      for (let i = 0; i < 3; i++) children.push(startWorker(t, { SEND_CONCURRENCY: '2' }));
      await new Promise((r) => setTimeout(r, 1500)); // let all three start before there is work
      const trigger = await t.admin('post', '/api/admin/digests').send({ topic: 'fintech' }).expect(202);
      const done = await waitForDigest(t, trigger.body.id, ['sent'], 120_000);
      assert.equal(done.counts.sent, 3000);
      const counts = messagesPerRecipient(t, emails);
      assert.deepEqual([...new Set(counts.values())], [1], 'every recipient got exactly one message');
      const byWorker: { claimed_by: string; n: string | number }[] = await t.db('deliveries').where({ digest_id: trigger.body.id }).groupBy('claimed_by').select('claimed_by', t.db.raw('count(*) as n'));
      assert.equal(byWorker.length, 3, `work split over ${JSON.stringify(byWorker)}`);
      for (const w of byWorker) assert.ok(Number(w.n) > 0);
    });
  }
}

describeEachEngine('sending across processes', suite);
