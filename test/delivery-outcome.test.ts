import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { decideOutcome, DIGEST_RETRY, MAIL_JOB_RETRY, retryDelayMs, type RetryPolicy } from '../src/delivery/outcome';
import { sortFailure } from '../src/delivery/smtp-replies';
import { startSmtpSink } from './helpers/smtp';

/** An error shaped as Nodemailer throws it for an SMTP reply to RCPT TO. */
const reply = (code: number, text: string) => Object.assign(new Error(`Can't send mail - all recipients were rejected: ${code} ${text}`), { code: 'EENVELOPE', responseCode: code, response: `${code} ${text}` });
const network = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:25`), { code });

const now = new Date('2026-12-02T12:00:00Z');
const policy: RetryPolicy = { maxAttempts: 5, baseMs: 1_000, capMs: 60_000 };

describe('sorting SMTP replies and network errors', () => {
  const cases: [string, unknown, 'temporary' | 'permanent'][] = [
    ['421 service not available', reply(421, '4.3.2 Service shutting down'), 'temporary'],
    ['450 mailbox unavailable', reply(450, '4.2.1 Mailbox busy'), 'temporary'],
    ['451 4.7.1 greylisted', reply(451, '4.7.1 Greylisted, try again later'), 'temporary'],
    ['452 insufficient storage', reply(452, '4.3.1 Insufficient system storage'), 'temporary'],
    ['550 5.1.1 no such user', reply(550, '5.1.1 User unknown'), 'permanent'],
    ['552 storage exceeded', reply(552, '5.2.2 Mailbox full'), 'permanent'],
    ['554 5.7.1 refused by policy', reply(554, '5.7.1 Relay access denied'), 'permanent'],
    ['ECONNRESET', network('ECONNRESET'), 'temporary'],
    ['ETIMEDOUT', network('ETIMEDOUT'), 'temporary'],
    ['an enhanced status without a reply code', new Error('5.1.1 recipient rejected by relay'), 'permanent'],
    ['something unplaceable', new Error('surprise'), 'temporary'],
  ];
  for (const [name, error, kind] of cases) {
    it(`${name} is ${kind}`, () => {
      assert.equal(sortFailure(error).kind, kind);
    });
  }

  it('keeps the server reply, on one line and bounded, as the reason', () => {
    assert.equal(sortFailure(reply(550, '5.1.1 User\r\n unknown')).reply, '550 5.1.1 User unknown');
    assert.equal(sortFailure(reply(550, 'x'.repeat(2000))).reply.length, 500);
  });
});

describe('the delivery outcome policy', () => {
  it('a 250 is accepted, with the server reply', () => {
    assert.deepEqual(decideOutcome({ ok: true, response: '250 2.0.0 Ok: queued as ABC' }, 1, policy, now), { kind: 'accepted', response: '250 2.0.0 Ok: queued as ABC' });
  });

  for (const [name, error] of [
    ['421', reply(421, '4.3.2 Try later')],
    ['450', reply(450, '4.2.1 Busy')],
    ['451 4.7.1', reply(451, '4.7.1 Greylisted')],
    ['452', reply(452, '4.3.1 Full')],
    ['ECONNRESET', network('ECONNRESET')],
    ['ETIMEDOUT', network('ETIMEDOUT')],
  ] as const) {
    it(`${name} is retried later with the backoff`, () => {
      assert.deepEqual(decideOutcome({ ok: false, error }, 3, policy, now), { kind: 'retry', at: new Date(now.getTime() + 4_000), reason: sortFailure(error).reply });
    });
    it(`${name} on the last attempt is failed`, () => {
      const outcome = decideOutcome({ ok: false, error }, 5, policy, now);
      assert.equal(outcome.kind, 'failed');
      assert.match((outcome as { reason: string }).reason, /^gave up after 5 attempts: /);
    });
  }

  for (const [name, error] of [
    ['550 5.1.1', reply(550, '5.1.1 User unknown')],
    ['552', reply(552, '5.2.2 Mailbox full')],
    ['554 5.7.1', reply(554, '5.7.1 Rejected')],
  ] as const) {
    it(`${name} bounces at once, on the first attempt as on the last`, () => {
      for (const attempt of [1, 5]) assert.deepEqual(decideOutcome({ ok: false, error }, attempt, policy, now), { kind: 'bounced', reason: sortFailure(error).reply });
    });
  }

  it('backs off base, 2×base, 4×base … up to the cap, for digests and for transactional mail', () => {
    assert.deepEqual([1, 2, 3, 4].map((a) => retryDelayMs(a, DIGEST_RETRY)), [15_000, 30_000, 60_000, 120_000]);
    assert.equal(retryDelayMs(20, DIGEST_RETRY), 30 * 60_000);
    assert.deepEqual([1, 2, 3].map((a) => retryDelayMs(a, MAIL_JOB_RETRY)), [5_000, 10_000, 20_000]);
    assert.equal(retryDelayMs(20, MAIL_JOB_RETRY), 60 * 60_000);
    assert.equal(decideOutcome({ ok: false, error: reply(421, 'x') }, DIGEST_RETRY.maxAttempts, DIGEST_RETRY, now).kind, 'failed');
    assert.equal(decideOutcome({ ok: false, error: reply(421, 'x') }, MAIL_JOB_RETRY.maxAttempts - 1, MAIL_JOB_RETRY, now).kind, 'retry');
  });
});

describe('the policy on errors as Nodemailer really raises them', () => {
  it('sorts a real server’s 451 and 550 replies and a refused connection', async () => {
    const sink = await startSmtpSink();
    try {
      sink.rejectWith((to) => (to.startsWith('grey') ? { code: 451, message: '4.7.1 Greylisted' } : to.startsWith('gone') ? { code: 550, message: '5.1.1 User unknown' } : null));
      const transport = nodemailer.createTransport(sink.url);
      const send = (to: string) => transport.sendMail({ from: 'news@example.com', to, subject: 's', text: 't' }).then((info) => ({ ok: true as const, response: info.response }), (error: unknown) => ({ ok: false as const, error }));
      assert.equal(decideOutcome(await send('ok@example.com'), 1, policy, now).kind, 'accepted');
      assert.equal(decideOutcome(await send('grey@example.com'), 1, policy, now).kind, 'retry');
      assert.equal(decideOutcome(await send('gone@example.com'), 1, policy, now).kind, 'bounced');
      transport.close();
    } finally {
      await sink.close();
    }
    // A port nobody listens on: connection refused, which is temporary.
    const probe = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => probe.once('listening', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise((r) => probe.close(r));
    const refused = await nodemailer
      .createTransport({ host: '127.0.0.1', port, connectionTimeout: 2_000 })
      .sendMail({ from: 'news@example.com', to: 'a@example.com', text: 't' })
      .then(() => null, (error: unknown) => error);
    assert.ok(refused);
    assert.equal(decideOutcome({ ok: false, error: refused }, 1, policy, now).kind, 'retry');
  });
});
