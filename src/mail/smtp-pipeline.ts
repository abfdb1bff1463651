import net from 'node:net';
import os from 'node:os';
import tls, { type ConnectionOptions } from 'node:tls';

/**
 * Bulk SMTP with command pipelining (RFC 2920), for messages that are already whole MIME
 * documents. Per message one write goes out — the previous message's body and its end
 * ".", then this one's MAIL FROM, RCPT TO and DATA — and one round trip comes back, where
 * a plain client waits for each reply in turn. The prebuilt bytes go straight to the
 * socket (dot-stuffed by a native scan, not copied through a stream).
 *
 * It does only what it can do exactly: EHLO, STARTTLS when offered, smtps://, AUTH PLAIN
 * or LOGIN. A server without PIPELINING, or anything else in the URL, makes `connect`
 * fail with `PipelineUnsupported`, and the caller sends through Nodemailer instead.
 *
 * Errors look like Nodemailer's (`code`, `response`, `responseCode`), so the reply sorting
 * in delivery/smtp-replies.ts reads them the same way.
 */

export class PipelineUnsupported extends Error {}

export interface PipelineOptions {
  url: string;
  /** Extra TLS options for smtps:// and STARTTLS (a test's own CA, for one). */
  tls?: ConnectionOptions;
  /** No reply for this long with a message outstanding: the connection counts as dropped. */
  socketTimeoutMs?: number;
}

interface Target {
  host: string;
  port: number;
  secure: boolean;
  user: string | null;
  pass: string;
}

/** What the URL asks for, or PipelineUnsupported for what only Nodemailer understands (query options). */
export function parseSmtpUrl(url: string): Target {
  const parsed = new URL(url);
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') throw new PipelineUnsupported(`unsupported scheme ${parsed.protocol}`);
  if (parsed.search) throw new PipelineUnsupported('SMTP_URL options are left to Nodemailer');
  const secure = parsed.protocol === 'smtps:';
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
    secure,
    user: parsed.username ? decodeURIComponent(parsed.username) : null,
    pass: decodeURIComponent(parsed.password),
  };
}

type SmtpError = Error & { code: string; response?: string; responseCode?: number; command?: string };

function smtpError(message: string, code: string, reply?: Reply, command?: string): SmtpError {
  const err = new Error(reply ? `${message}: ${reply.text}` : message) as SmtpError;
  err.code = code;
  if (reply) {
    err.response = reply.text;
    err.responseCode = reply.code;
  }
  if (command) err.command = command;
  return err;
}

interface Reply {
  code: number;
  /** The whole reply, lines joined by "\n", as Nodemailer reports it. */
  text: string;
}

const END_OF_DATA = Buffer.from('.\r\n');
const CRLF_END_OF_DATA = Buffer.from('\r\n.\r\n');
const LF_DOT = Buffer.from('\n.');

/**
 * The message body as chunks ready for DATA: every line that starts with "." gets a second
 * one (RFC 5321 4.5.2), and the body ends with CRLF "." CRLF. The chunks are views of
 * `raw`, not copies.
 */
export function dotStuffed(raw: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  let from = 0;
  if (raw[0] === 0x2e) {
    chunks.push(Buffer.from('.'));
  }
  for (let at = raw.indexOf(LF_DOT); at !== -1; at = raw.indexOf(LF_DOT, at + 2)) {
    chunks.push(raw.subarray(from, at + 2)); // up to and including the dot…
    from = at + 1; // …which is then sent again
  }
  chunks.push(raw.subarray(from));
  const endsWithCrlf = raw.length >= 2 && raw[raw.length - 2] === 0x0d && raw[raw.length - 1] === 0x0a;
  chunks.push(endsWithCrlf ? END_OF_DATA : CRLF_END_OF_DATA);
  return chunks;
}

interface Pending {
  /** Its commands have gone to the server: after a drop, only the server knows what became of it. */
  written: boolean;
  from: string;
  to: string;
  raw: Buffer;
  resolve: (response: string) => void;
  reject: (err: Error) => void;
}

/**
 * The connection closed before any of this message went out: it is safe to send it on
 * another connection (the pool does so), and counts as a temporary failure if it surfaces.
 */
export const unsent = () => Object.assign(smtpError('Connection closed before the message was sent', 'ECONNECTION'), { unsent: true });
export const isUnsent = (err: unknown) => (err as { unsent?: boolean } | null)?.unsent === true;

/** Reads SMTP replies off a socket: one complete (possibly multi-line) reply at a time, in order. */
function replyReader(socket: net.Socket) {
  const replies: Reply[] = [];
  const waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  let buffered = '';
  let lines: string[] = [];
  let failure: Error | null = null;
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString('latin1');
    let eol: number;
    while ((eol = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, eol).replace(/\r$/, '');
      buffered = buffered.slice(eol + 1);
      lines.push(line);
      if (line.length > 3 && line[3] === '-') continue; // more lines of this reply follow
      const reply = { code: Number(line.slice(0, 3)) || 0, text: lines.join('\n') };
      lines = [];
      const waiter = waiting.shift();
      if (waiter) waiter.resolve(reply);
      else replies.push(reply);
    }
  };
  socket.on('data', onData);
  return {
    next(): Promise<Reply> {
      const ready = replies.shift();
      if (ready) return Promise.resolve(ready);
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    fail(err: Error) {
      failure ??= err;
      for (const w of waiting.splice(0)) w.reject(failure);
    },
    detach: () => socket.off('data', onData),
  };
}

/**
 * One pipelined SMTP connection. `send` queues a message; a single loop writes and reads
 * in order. A dropped connection fails every message that has no 250 after its DATA with a
 * temporary (ECONNECTION) error; the connection is then closed for good (`closed`), and the
 * caller opens a new one.
 */
export interface PipelineConnection {
  send(from: string, to: string, raw: Buffer): Promise<string>;
  /** Messages queued or in flight on this connection. */
  readonly load: number;
  readonly closed: boolean;
  close(): void;
}

export async function openPipelineConnection(options: PipelineOptions): Promise<PipelineConnection> {
  const target = parseSmtpUrl(options.url);
  const timeoutMs = options.socketTimeoutMs ?? 60_000;
  let socket: net.Socket = await connectSocket(target, options.tls);
  let reader = replyReader(socket);
  let closed = false;
  let dropped: SmtpError | null = null;

  const onDrop = (err?: Error) => {
    if (closed) return;
    closed = true;
    dropped = smtpError(`Connection closed unexpectedly${err ? ` (${err.message})` : ''}`, 'ECONNECTION', undefined, 'CONN');
    reader.fail(dropped);
    socket.destroy();
  };
  const watch = (s: net.Socket) => {
    s.on('error', onDrop);
    s.on('close', () => onDrop());
    s.setTimeout(timeoutMs, () => onDrop(smtpError('Timeout', 'ETIMEDOUT')));
  };
  watch(socket);
  const write = (data: string | Buffer) => socket.write(data);
  const command = async (line: string, name: string, expect: (code: number) => boolean, code = 'EPROTOCOL') => {
    write(`${line}\r\n`);
    const reply = await reader.next();
    if (!expect(reply.code)) throw smtpError(`${name} failed`, code, reply, name);
    return reply;
  };

  try {
    const greeting = await reader.next();
    if (greeting.code !== 220) throw smtpError('Invalid greeting', greeting.code >= 400 ? 'ECONNECTION' : 'EPROTOCOL', greeting, 'CONN');
    const name = os.hostname().replace(/[^a-zA-Z0-9.-]/g, '') || 'localhost';
    let features = await ehlo(name);
    if (!target.secure && features.has('STARTTLS')) {
      await command('STARTTLS', 'STARTTLS', (c) => c === 220);
      reader.detach();
      socket.removeAllListeners('error').removeAllListeners('close').setTimeout(0);
      socket = await upgrade(socket, target.host, options.tls);
      reader = replyReader(socket);
      watch(socket);
      features = await ehlo(name);
    }
    if (!features.has('PIPELINING')) throw new PipelineUnsupported('the server does not offer PIPELINING');
    if (target.user) await authenticate(features.get('AUTH') ?? '');
  } catch (err) {
    closed = true;
    socket.destroy();
    throw err;
  }

  async function ehlo(name: string): Promise<Map<string, string>> {
    const reply = await command(`EHLO ${name}`, 'EHLO', (c) => c === 250, 'ECONNECTION');
    // "250-PIPELINING", "250 AUTH PLAIN LOGIN": keyword → its parameters.
    return new Map(
      reply.text
        .split('\n')
        .slice(1)
        .map((line) => {
          const [keyword, ...rest] = line.slice(4).trim().split(/\s+/);
          return [keyword.toUpperCase(), rest.join(' ').toUpperCase()] as const;
        }),
    );
  }

  async function authenticate(mechanisms: string) {
    const offered = new Set(mechanisms.split(' '));
    const ok = (c: number) => c === 235;
    const b64 = (value: string) => Buffer.from(value, 'utf8').toString('base64');
    if (offered.has('PLAIN')) {
      await command(`AUTH PLAIN ${b64(`\0${target.user}\0${target.pass}`)}`, 'AUTH PLAIN', ok, 'EAUTH');
    } else if (offered.has('LOGIN')) {
      await command('AUTH LOGIN', 'AUTH LOGIN', (c) => c === 334, 'EAUTH');
      await command(b64(target.user!), 'AUTH LOGIN', (c) => c === 334, 'EAUTH');
      await command(b64(target.pass), 'AUTH LOGIN', ok, 'EAUTH');
    } else {
      throw new PipelineUnsupported(`no AUTH mechanism this sender speaks (offered: ${mechanisms || 'none'})`);
    }
  }

  const queue: Pending[] = [];
  let looping = false;
  const envelope = (p: Pending) => `MAIL FROM:<${p.from}>\r\nRCPT TO:<${p.to}>\r\nDATA\r\n`;

  /** Writes and reads in order; the next message's commands ride along with this one's body. */
  async function loop() {
    looping = true;
    let envelopeSent = false;
    try {
      while (queue.length && !closed) {
        const message = queue[0];
        if (!envelopeSent) write(envelope(message));
        message.written = true;
        const mail = await reader.next();
        const rcpt = await reader.next();
        const data = await reader.next();
        if (mail.code === 250 && rcpt.code === 250 && data.code === 354) {
          const next = queue[1];
          socket.cork();
          for (const chunk of dotStuffed(message.raw)) write(chunk);
          if (next) {
            write(envelope(next));
            next.written = true;
          }
          socket.uncork();
          envelopeSent = Boolean(next);
          const done = await reader.next();
          queue.shift();
          if (done.code === 250) message.resolve(done.text);
          else message.reject(smtpError('Message failed', 'EMESSAGE', done, 'DATA'));
          continue;
        }
        // Refused before the body: the first refusal is the reason, as Nodemailer reports it.
        queue.shift();
        envelopeSent = false;
        if (mail.code !== 250) message.reject(smtpError('Mail command failed', 'EENVELOPE', mail, 'MAIL FROM'));
        else if (rcpt.code !== 250 && rcpt.code !== 251) message.reject(smtpError("Can't send mail - all recipients were rejected", 'EENVELOPE', rcpt, 'RCPT TO'));
        else message.reject(smtpError('Data command failed', 'EENVELOPE', data, 'DATA'));
        // A server that said 354 anyway gets an empty message ended at once; then a clean slate.
        if (data.code === 354) {
          write(END_OF_DATA);
          await reader.next();
        }
        await command('RSET', 'RSET', (c) => c === 250);
      }
    } catch (err) {
      onDrop(err as Error);
    } finally {
      looping = false;
      if (closed) for (const p of queue.splice(0)) p.reject(p.written ? (dropped ?? smtpError('Connection closed', 'ECONNECTION')) : unsent());
    }
  }

  return {
    send(from, to, raw) {
      if (closed) return Promise.reject(unsent());
      if (/[\r\n<>]/.test(from + to)) return Promise.reject(smtpError('Invalid address', 'EENVELOPE', undefined, 'API'));
      return new Promise<string>((resolve, reject) => {
        queue.push({ written: false, from, to, raw, resolve, reject });
        if (!looping) void loop();
      });
    },
    get load() {
      return queue.length;
    },
    get closed() {
      return closed;
    },
    close() {
      if (closed) return;
      closed = true;
      dropped = smtpError('Connection closed', 'ECONNECTION');
      reader.fail(dropped);
      // A polite QUIT when idle; either way the socket goes.
      if (!queue.length) socket.end('QUIT\r\n');
      else socket.destroy();
    },
  };
}

function connectSocket(target: Target, tlsOptions?: ConnectionOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => reject(smtpError(err.message, 'ECONNECTION', undefined, 'CONN'));
    const socket = target.secure
      ? tls.connect({ host: target.host, port: target.port, servername: net.isIP(target.host) ? undefined : target.host, ...tlsOptions }, () => {
          socket.off('error', fail);
          resolve(socket);
        })
      : net.connect({ host: target.host, port: target.port }, () => {
          socket.off('error', fail);
          resolve(socket);
        });
    socket.once('error', fail);
    socket.setNoDelay(true);
  });
}

function upgrade(socket: net.Socket, host: string, tlsOptions?: ConnectionOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const secured = tls.connect({ socket, servername: net.isIP(host) ? undefined : host, ...tlsOptions }, () => {
      secured.off('error', fail);
      resolve(secured);
    });
    const fail = (err: Error) => reject(smtpError(err.message, 'ETLS', undefined, 'STARTTLS'));
    secured.once('error', fail);
  });
}
