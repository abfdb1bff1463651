import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { sortFailure } from '../src/delivery/smtp-replies';
import { createPipelinePool } from '../src/mail/pipeline-pool';
import { dotStuffed, openPipelineConnection, PipelineUnsupported } from '../src/mail/smtp-pipeline';
import { createMailTransport } from '../src/mail/transport';

/**
 * The pipelined bulk sender against real smtp-server instances, each set up the way one
 * case needs (no PIPELINING, AUTH, STARTTLS, implicit TLS, refusals, a dropped connection).
 */
const fixtures = path.join(import.meta.dirname, 'fixtures');
const key = readFileSync(path.join(fixtures, 'smtp-tls-key.pem'));
const cert = readFileSync(path.join(fixtures, 'smtp-tls-cert.pem'));

interface Received {
  to: string;
  raw: Buffer;
  secure: boolean;
  user: string | undefined;
}

const servers: SMTPServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** An smtp-server on port 0 that keeps what it receives; `onRcpt` may refuse, `onMessage` may cut the connection. */
async function startServer(options: Partial<SMTPServerOptions> & { onRcpt?: (to: string) => { code: number; message: string } | null; onMessage?: (to: string, socket: Socket) => boolean } = {}) {
  const received: Received[] = [];
  const sockets = new Map<string, Socket>();
  const { onRcpt, onMessage, ...rest } = options;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onConnect(session, callback) {
      callback();
      void session;
    },
    onRcptTo(address, _session, callback) {
      const refusal = onRcpt?.(address.address);
      if (!refusal) return callback();
      callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const to = session.envelope.rcptTo[0].address;
        if (onMessage?.(to, sockets.get(session.remoteAddress + ':' + session.remotePort)!)) return;
        received.push({ to, raw: Buffer.concat(chunks), secure: session.secure, user: session.user as string | undefined });
        callback();
      });
    },
    ...rest,
  });
  server.on('error', () => {});
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.server.on('connection', (socket: Socket) => sockets.set(`${socket.remoteAddress}:${socket.remotePort}`, socket));
  const { port } = server.server.address() as AddressInfo;
  return { port, received };
}

const message = (to: string, body = 'Hello.') =>
  Buffer.from(`From: news@example.com\r\nTo: ${to}\r\nSubject: Test\r\nMessage-ID: <${to}@example.com>\r\n\r\n${body}\r\n`);

describe('dot-stuffing', () => {
  test('doubles a leading dot on every line and ends the data with a lone dot', () => {
    const raw = Buffer.from('.first\r\nmiddle\r\n.\r\n..two\r\nlast');
    assert.equal(Buffer.concat(dotStuffed(raw)).toString(), '..first\r\nmiddle\r\n..\r\n...two\r\nlast\r\n.\r\n');
    assert.equal(Buffer.concat(dotStuffed(Buffer.from('a\r\n'))).toString(), 'a\r\n.\r\n');
  });
});

describe('pipelined sending', () => {
  test('delivers messages byte for byte, with dotted lines intact, many in flight on one connection', async () => {
    const { port, received } = await startServer();
    const connection = await openPipelineConnection({ url: `smtp://127.0.0.1:${port}` });
    const body = 'Line one\r\n.A line that starts with a dot\r\n..\r\n.';
    const recipients = Array.from({ length: 25 }, (_, i) => `reader${i}@example.org`);
    const replies = await Promise.all(recipients.map((to) => connection.send('news@example.com', to, message(to, body))));
    connection.close();
    assert.ok(replies.every((r) => r.startsWith('250')));
    assert.deepEqual(received.map((r) => r.to), recipients);
    for (const r of received) assert.deepEqual(r.raw, message(r.to, body));
    const parsed = await simpleParser(received[3].raw);
    assert.equal(parsed.text?.trim(), body.replace(/\r\n/g, '\n'));
  });

  test('a server without PIPELINING is left to Nodemailer, which still delivers', async () => {
    const { port, received } = await startServer({ hidePIPELINING: true });
    await assert.rejects(openPipelineConnection({ url: `smtp://127.0.0.1:${port}` }), PipelineUnsupported);
    const pool = createPipelinePool({ url: `smtp://127.0.0.1:${port}` }, 2);
    assert.equal(await pool.send('news@example.com', 'a@example.org', message('a@example.org')), null);
    pool.close();
    const transport = createMailTransport({ smtpUrl: `smtp://127.0.0.1:${port}`, dataDir: '/nonexistent', mailFrom: 'news@example.com', dkim: null, sendConcurrency: 2 });
    const sent = await transport.sendRaw({ from: 'news@example.com', to: 'b@example.org' }, message('b@example.org'));
    transport.close();
    assert.match(sent.response, /^250/);
    assert.deepEqual(received.map((r) => r.to), ['b@example.org']);
  });

  test('sorts a 4xx and a 5xx RCPT reply as temporary and permanent, and the connection carries on', async () => {
    const { port, received } = await startServer({
      onRcpt: (to) => (to.startsWith('busy') ? { code: 451, message: 'Try again later' } : to.startsWith('gone') ? { code: 550, message: '5.1.1 No such user' } : null),
    });
    const connection = await openPipelineConnection({ url: `smtp://127.0.0.1:${port}` });
    const results = await Promise.allSettled(
      ['ok1@example.org', 'busy@example.org', 'ok2@example.org', 'gone@example.org', 'ok3@example.org'].map((to) => connection.send('news@example.com', to, message(to))),
    );
    connection.close();
    const sorted = results.map((r) => (r.status === 'fulfilled' ? 'accepted' : sortFailure(r.reason).kind));
    assert.deepEqual(sorted, ['accepted', 'temporary', 'accepted', 'permanent', 'accepted']);
    const refused = (results[3] as PromiseRejectedResult).reason;
    assert.equal(refused.responseCode, 550);
    assert.match(sortFailure(refused).reply, /No such user/);
    assert.deepEqual(received.map((r) => r.to), ['ok1@example.org', 'ok2@example.org', 'ok3@example.org']);
  });

  test('a connection dropped mid-batch fails every message without a 250 as temporary; the pool reconnects', async () => {
    let cut = false;
    const { port, received } = await startServer({
      onMessage: (to, socket) => {
        if (to !== 'm3@example.org' || cut) return false;
        cut = true;
        socket.destroy();
        return true;
      },
    });
    const pool = createPipelinePool({ url: `smtp://127.0.0.1:${port}` }, 1);
    const batch = Array.from({ length: 6 }, (_, i) => `m${i}@example.org`);
    const results = await Promise.allSettled(batch.map((to) => pool.send('news@example.com', to, message(to))));
    const accepted = batch.filter((_, i) => results[i].status === 'fulfilled');
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    assert.ok(failed.length >= 1, 'the message whose DATA got no reply failed');
    assert.equal(results[3].status, 'rejected');
    for (const err of failed) assert.equal(sortFailure(err).kind, 'temporary');
    // Accepted means the server has it; nothing it has was reported failed.
    assert.deepEqual(received.map((r) => r.to), accepted);
    // A new connection takes the next message.
    assert.match((await pool.send('news@example.com', 'later@example.org', message('later@example.org')))!, /^250/);
    pool.close();
    assert.equal(received.at(-1)?.to, 'later@example.org');
  });

  for (const method of ['PLAIN', 'LOGIN']) {
    test(`authenticates with AUTH ${method} from the URL, and a wrong password is an EAUTH refusal`, async () => {
      const { port, received } = await startServer({
        authOptional: false,
        disabledCommands: ['STARTTLS'],
        allowInsecureAuth: true,
        authMethods: [method],
        onAuth(auth, _session, callback) {
          if (auth.method === method && auth.username === 'sender@example.com' && auth.password === 'p@ss word') return callback(null, { user: auth.username });
          callback(new Error('Invalid username or password'));
        },
      });
      const connection = await openPipelineConnection({ url: `smtp://sender%40example.com:p%40ss%20word@127.0.0.1:${port}` });
      await connection.send('news@example.com', 'a@example.org', message('a@example.org'));
      connection.close();
      assert.equal(received[0].user, 'sender@example.com');
      await assert.rejects(openPipelineConnection({ url: `smtp://sender%40example.com:wrong@127.0.0.1:${port}` }), (err: { code: string; responseCode: number }) => {
        assert.equal(err.code, 'EAUTH');
        assert.equal(err.responseCode, 535);
        return true;
      });
    });
  }

  test('upgrades with STARTTLS when offered, and speaks implicit TLS for smtps://', async () => {
    const starttls = await startServer({ disabledCommands: ['AUTH'], key, cert });
    const upgraded = await openPipelineConnection({ url: `smtp://127.0.0.1:${starttls.port}`, tls: { ca: cert } });
    await upgraded.send('news@example.com', 'a@example.org', message('a@example.org'));
    upgraded.close();
    assert.equal(starttls.received[0].secure, true);

    const implicit = await startServer({ secure: true, disabledCommands: ['AUTH'], key, cert });
    const secure = await openPipelineConnection({ url: `smtps://127.0.0.1:${implicit.port}`, tls: { ca: cert } });
    await secure.send('news@example.com', 'b@example.org', message('b@example.org'));
    secure.close();
    assert.equal(implicit.received[0].secure, true);
    // A certificate the client does not trust stops the connection before any mail.
    await assert.rejects(openPipelineConnection({ url: `smtps://127.0.0.1:${implicit.port}` }), (err: { code: string }) => err.code === 'ECONNECTION');
  });
});
