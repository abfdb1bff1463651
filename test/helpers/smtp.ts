import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server on 127.0.0.1 (port 0) that keeps every message it accepts, parsed
 * with mailparser, so tests read mail exactly as a mail client would.
 */
export interface SmtpSink {
  url: string;
  messages: ParsedMail[];
  /** Waits until `count` messages match, or fails after timeoutMs. */
  waitFor(predicate: (m: ParsedMail) => boolean, count?: number, timeoutMs?: number): Promise<ParsedMail[]>;
  to(address: string): ParsedMail[];
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: ParsedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          messages.push(parsed);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
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
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const sentTo = (address: string) => (m: ParsedMail) =>
  [m.to].flat().some((a) => a?.value.some((v) => v.address?.toLowerCase() === address.toLowerCase()));

/** Every http(s) link in the message's plain-text part. */
export function linksIn(message: ParsedMail): string[] {
  return [...(message.text ?? '').matchAll(/https?:\/\/[^\s<>"]+/g)].map((m) => m[0]);
}
