import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from '../config';
import type { Mailbox } from './sender';
import { createPipelinePool } from './pipeline-pool';

/** One outgoing message, already rendered. */
export interface OutgoingMessage {
  /** With a name, Nodemailer encodes it (RFC 2047) and the address (punycode, or SMTPUTF8 for a UTF-8 local part). */
  to: string | { name: string; address: string };
  /** MAIL_FROM's address under another name (a programme's sender name); MAIL_FROM when absent. */
  from?: Mailbox;
  subject: string;
  html: string;
  text: string;
  headers?: Record<string, string>;
  messageId?: string;
}

export interface SendResult {
  messageId: string;
  response: string;
}

/**
 * Sends rendered messages: over pooled SMTP when SMTP_URL is set, otherwise as .eml files
 * in DATA_DIR/outbox so a fresh install shows its mail without any server.
 */
export interface MailTransport {
  send(message: OutgoingMessage): Promise<SendResult>;
  /** Sends a message that is already a whole MIME document (bulk mail builds its own). */
  sendRaw(envelope: { from: string; to: string }, raw: string | Buffer, messageId?: string): Promise<SendResult>;
  close(): void;
}

export function createMailTransport(config: Pick<Config, 'smtpUrl' | 'dataDir' | 'mailFrom' | 'dkim' | 'sendConcurrency'> & { mailReplyTo?: string | null }): MailTransport {
  const dkim = config.dkim ?? undefined;
  // Every transactional message: MAIL_FROM unless the message names its sender, MAIL_REPLY_TO when set.
  const envelopeOf = (message: OutgoingMessage) => ({ ...message, from: message.from ?? config.mailFrom, ...(config.mailReplyTo ? { replyTo: config.mailReplyTo } : {}) });
  if (config.smtpUrl) {
    const transport = nodemailer.createTransport({
      url: config.smtpUrl,
      pool: true,
      maxConnections: config.sendConcurrency,
      dkim,
    } as never);
    // Bulk mail goes pipelined when the server allows it; DKIM signing stays with Nodemailer.
    const pipeline = dkim ? null : createPipelinePool({ url: config.smtpUrl }, config.sendConcurrency);
    return {
      async send(message) {
        const info = await transport.sendMail(envelopeOf(message));
        return { messageId: info.messageId, response: String(info.response ?? '') };
      },
      async sendRaw(envelope, raw, messageId) {
        if (pipeline) {
          const response = await pipeline.send(envelope.from, envelope.to, typeof raw === 'string' ? Buffer.from(raw) : raw);
          if (response !== null) return { messageId: messageId ?? '', response };
        }
        // The message carries its own Message-ID; naming it here spares Nodemailer making one.
        const info = await transport.sendMail({ envelope, raw, messageId });
        return { messageId: info.messageId, response: String(info.response ?? '') };
      },
      close: () => {
        pipeline?.close();
        transport.close();
      },
    };
  }

  const outbox = path.join(config.dataDir, 'outbox');
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix', dkim } as never);
  async function toOutbox(mail: Record<string, unknown>): Promise<SendResult> {
    const info = (await transport.sendMail(mail)) as unknown as { messageId: string; message: Buffer };
    await mkdir(outbox, { recursive: true });
    const file = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.eml`;
    // Written under a temporary name, then renamed: a reader never sees half a message.
    const target = path.join(outbox, file);
    await writeFile(`${target}.part`, info.message);
    await rename(`${target}.part`, target);
    return { messageId: info.messageId, response: `written to outbox/${file}` };
  }
  return {
    send: (message) => toOutbox(envelopeOf(message)),
    sendRaw: (envelope, raw, messageId) => toOutbox({ envelope, raw, messageId }),
    close: () => transport.close(),
  };
}
