import type { Config } from '../config';
import type { Db } from '../db';
import type { Logger } from '../logger';
import { createPeriodicTask } from '../periodic';
import { readReportMessage } from './reports';
import { recordReports } from './service';

/**
 * The optional bounce mailbox (BOUNCE_IMAP_URL): the Return-Path or abuse address whose
 * DSNs and ARF reports are read each pass. A message is deleted only after its reports were
 * stored; a message we do not understand stays for a person to read.
 */
export interface MailboxDeps {
  db: Db;
  config: Pick<Config, 'secret'>;
  logger: Logger;
}

/** Messages read per pass, so one huge mailbox cannot hold a pass for long. */
const PER_PASS = 200;

function connectionOf(imapUrl: string) {
  const url = new URL(imapUrl);
  const secure = url.protocol === 'imaps:';
  return {
    options: {
      host: url.hostname,
      port: url.port ? Number(url.port) : secure ? 993 : 143,
      secure,
      auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) },
      logger: false as const,
      connectionTimeout: 30_000,
    },
    mailbox: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'INBOX',
  };
}

export async function pollBounceMailbox(deps: MailboxDeps, imapUrl: string, signal?: AbortSignal): Promise<{ understood: number; left: number }> {
  const { options, mailbox } = connectionOf(imapUrl);
  // Loaded only where a mailbox is configured: imapflow costs every other process memory.
  const { ImapFlow } = await import('imapflow');
  const client = new ImapFlow(options);
  await client.connect();
  let understood = 0;
  let left = 0;
  try {
    const lock = await client.getMailboxLock(mailbox);
    try {
      const exists = client.mailbox ? client.mailbox.exists : 0;
      const messages: { uid: number; source: Buffer }[] = [];
      // Read first, then act: imapflow runs no other command while a fetch streams.
      if (exists) {
        for await (const message of client.fetch(`1:${Math.min(exists, PER_PASS)}`, { uid: true, source: true })) {
          if (message.source) messages.push({ uid: message.uid, source: message.source });
        }
      }
      const done: number[] = [];
      for (const message of messages) {
        if (signal?.aborted) break;
        const reports = await readReportMessage(message.source).catch(() => null);
        if (!reports) {
          left++;
          continue;
        }
        await recordReports(deps, 'mailbox', reports);
        done.push(message.uid);
        understood++;
      }
      if (done.length) await client.messageDelete(done, { uid: true });
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  return { understood, left };
}

export function createBounceMailbox(deps: MailboxDeps & { imapUrl: string; intervalMs: number }) {
  return createPeriodicTask({
    intervalMs: deps.intervalMs,
    run: async (signal) => {
      const { understood, left } = await pollBounceMailbox(deps, deps.imapUrl, signal);
      if (understood || left) deps.logger.info({ understood, left }, 'bounce mailbox read');
    },
    onError: (err) => deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'bounce mailbox pass failed'),
  });
}
