import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A message as the sink received it: parsed by mailparser, with its raw source beside it. */
export type ReceivedMail = ParsedMail & {
  /** The exact bytes of the DATA command (dot-unstuffed), as a mail filter or DKIM verifier reads them. */
  raw: Buffer;
};

/**
 * A real SMTP server on 127.0.0.1 (port 0) that keeps every message it accepts, parsed
 * with mailparser, so tests read mail exactly as a mail client would, and raw, so tests can
 * hand it to the judges mailbox providers use (spam filters, DKIM verifiers).
 */
export interface SmtpSink {
  url: string;
  messages: ReceivedMail[];
  /** Waits until `count` messages match, or fails after timeoutMs. */
  waitFor(predicate: (m: ParsedMail) => boolean, count?: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  to(address: string): ReceivedMail[];
  /** Answers RCPT TO with an SMTP error when this returns one (e.g. 421 or 550), for failure tests. */
  rejectWith(rule: RejectRule | null): void;
  /**
   * Down for `ms`, as a restarting server is: new connections are refused, and open ones
   * get 421 at their next transaction. (Transactions already in DATA finish: cutting one
   * mid-reply would leave even a perfect sender unable to know whether it was delivered.)
   */
  down(ms: number): Promise<void>;
  /** How many RCPT commands were answered, accepted or not. */
  attempts(): number;
  close(): Promise<void>;
}

export type RejectRule = (recipient: string, attempt: number) => { code: number; message: string } | null;

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  let rule: RejectRule | null = null;
  let attempts = 0;
  let isDown = false;
  const sockets = new Set<Socket>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 50 * 1024 * 1024,
    onMailFrom(_address, _session, callback) {
      if (!isDown) return callback();
      const err = new Error('Service shutting down, try again later') as Error & { responseCode: number };
      err.responseCode = 421;
      callback(err);
    },
    onRcptTo(address, _session, callback) {
      attempts++;
      const refusal = rule?.(address.address.toLowerCase(), attempts);
      if (!refusal) return callback();
      const err = new Error(refusal.message) as Error & { responseCode: number };
      err.responseCode = refusal.code;
      callback(err);
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then((parsed) => {
            messages.push(Object.assign(parsed, { raw }));
            callback();
          })
          .catch(callback);
      });
    },
  });
  // A client that dies mid-session (a killed worker) resets its socket; that is expected here.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const recipients = (m: ParsedMail) =>
    [m.to].flat().flatMap((a) => (a ? a.value.map((v) => v.address?.toLowerCase()) : []));

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    to: (address) => messages.filter((m) => recipients(m).includes(address.toLowerCase())),
    async waitFor(predicate, count = 1, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.filter(predicate);
        if (found.length >= count) return found;
        if (Date.now() > deadline) throw new Error(`expected ${count} message(s), found ${found.length} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    rejectWith(next) {
      rule = next;
    },
    attempts: () => attempts,
    async down(ms) {
      isDown = true;
      server.server.close();
      await new Promise((r) => setTimeout(r, ms));
      isDown = false;
      await new Promise<void>((resolve) => server.server.listen(port, '127.0.0.1', () => resolve()));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export const sentTo = (address: string) => (m: ParsedMail) =>
  [m.to].flat().some((a) => a?.value.some((v) => v.address?.toLowerCase() === address.toLowerCase()));

/** Every http(s) link in the message's plain-text part. */
export function linksIn(message: ParsedMail): string[] {
  return [...(message.text ?? '').matchAll(/https?:\/\/[^\s<>"]+/g)].map((m) => m[0]);
}
