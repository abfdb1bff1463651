import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { after, afterEach, before, it } from 'node:test';
// @ts-expect-error: the build script is plain JavaScript, run by node without a build of its own.
import { build } from '../src/cli/build.mjs';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine, type Engine } from './helpers/engines';
import { exited, killChildren, startWorker } from './helpers/processes';
import { addArticles, addConfirmedSubscribers, messagesPerRecipient, waitForDigest } from './helpers/sending';

const CONCURRENCY = 4;
const RECIPIENTS = 2000;

function duplicatesAndMissing(t: TestApp, emails: string[]) {
  const counts = [...messagesPerRecipient(t, emails)];
  const missing = counts.filter(([, n]) => n === 0).map(([e]) => e);
  const duplicates = counts.reduce((sum, [, n]) => sum + Math.max(0, n - 1), 0);
  return { missing, duplicates };
}

function suite(engine: Engine) {
  let t: TestApp;
  const children: ChildProcess[] = [];
  const emails = Array.from({ length: RECIPIENTS }, (_, i) => `kill${i}@example.com`);
  const topics = ['banking', 'insurance', 'fintech'];
  before(async () => {
    await build(); // once, so the workers started below never race to build dist/
    t = await startTestApp(engine);
    await t.workers.delivery.stop(); // only the worker processes send here
    await addConfirmedSubscribers(t, emails.map((email) => ({ email, topics })));
  });
  afterEach(() => killChildren(children));
  after(async () => {
    await t.close();
  });

  // Three kills at random points of a send: each accepted message is recorded as it is
  // accepted, so a restart re-sends at most what was in flight (one message per lane).
  for (const [run, topic] of topics.entries()) {
    it(`SIGKILL at a random point of a ${RECIPIENTS}-recipient send (run ${run + 1}): at most SEND_CONCURRENCY × 2 duplicates, nobody missing`, async (ctx) => {
      await addArticles(t, topic, 2, `Kill ${run}`);
      t.smtp.messages.length = 0;
      const env = { SEND_CONCURRENCY: String(CONCURRENCY), SEND_LEASE_SECONDS: '3' };
      const first = startWorker(t, env);
      children.push(first);
      const trigger = await t.admin('post', '/api/admin/digests').send({ topic }).expect(202);
      assert.equal(trigger.body.recipients, RECIPIENTS);
      const killAt = randomInt(100, RECIPIENTS - 100);
      await t.smtp.waitFor(() => true, killAt, 120_000);
      first.kill('SIGKILL');
      await exited(first);
      const receivedAtKill = t.smtp.messages.length;
      assert.ok(receivedAtKill < RECIPIENTS, 'the kill happened mid-send');

      const second = startWorker(t, env);
      children.push(second);
      const done = await waitForDigest(t, trigger.body.id, ['sent'], 180_000);
      assert.equal(done.counts.sent, RECIPIENTS);
      await t.smtp.waitFor(() => true, RECIPIENTS, 10_000);

      const { missing, duplicates } = duplicatesAndMissing(t, emails);
      ctx.diagnostic(`killed after ${receivedAtKill} of ${RECIPIENTS} messages: ${duplicates} duplicate(s)`);
      assert.deepEqual(missing, [], 'everyone got the digest');
      assert.ok(duplicates <= CONCURRENCY * 2, `${duplicates} duplicate(s); at most ${CONCURRENCY * 2} (the messages in flight) may be sent twice`);
    });
  }
}

describeEachEngine('a send killed mid-way', suite);
