import type { Db } from '../db';
import { decideFailure, MAIL_JOB_RETRY } from '../delivery/outcome';
import type { Logger } from '../logger';
import { claimDueMailJobs, findNextMailJobDue, markMailJobDropped, markMailJobSent, rescheduleMailJob, type MailJob } from './job-queries';
import type { MailTransport, OutgoingMessage } from './transport';

/** Builds the message for a job at send time; null when there is nothing to send any more. */
export type MailJobHandler = (job: MailJob) => Promise<OutgoingMessage | null>;

const BATCH = 20;
const PARALLEL = 4;
const KICK_DELAY_MS = 100;

/**
 * Sends queued transactional mail in the background: claim due jobs → build each message
 * → send → record. The delivery outcome policy decides: a temporary failure retries with
 * exponential backoff; a permanent one (SMTP 5xx) or the last attempt marks the job failed. Requests only queue a row, so an
 * answer never waits for SMTP and takes the same time whether or not mail is sent.
 */
export function createMailJobRunner(deps: {
  db: Db;
  transport: MailTransport;
  logger: Logger;
  handlers: Record<string, MailJobHandler>;
  pollMs?: number;
}) {
  const pollMs = deps.pollMs ?? 2000;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = true;
  let woken: Promise<void> | null = null;
  let dueTimer: NodeJS.Timeout | null = null;

  async function runOnce(): Promise<number> {
    const jobs = await claimDueMailJobs(deps.db, BATCH, new Date(Date.now() + 5 * 60_000));
    for (let i = 0; i < jobs.length; i += PARALLEL) {
      await Promise.all(jobs.slice(i, i + PARALLEL).map(deliver));
    }
    return jobs.length;
  }

  async function deliver(job: MailJob) {
    const handler = deps.handlers[job.kind];
    try {
      const message = handler ? await handler(job) : null;
      if (!message) {
        await markMailJobDropped(deps.db, job.id);
        return;
      }
      await deps.transport.send(message);
      await markMailJobSent(deps.db, job.id);
    } catch (err) {
      const attempts = job.attempts + 1;
      const now = new Date();
      const outcome = decideFailure(err, attempts, MAIL_JOB_RETRY, now);
      // A transactional message has no subscriber state to change: a bounce is a failure too.
      const failed = outcome.kind !== 'retry';
      deps.logger.warn({ job: job.id, kind: job.kind, attempts, failed, smtp: (err as { responseCode?: number }).responseCode }, 'mail job not sent');
      await rescheduleMailJob(deps.db, job.id, attempts, outcome.kind === 'retry' ? outcome.at : now, outcome.reason, failed);
    }
  }

  /**
   * A job due before the next poll (a confirmation waiting for its SEND_RATE slot) gets a
   * pass of its own at that time, so paced mail leaves at its pace rather than in bursts
   * at each poll.
   */
  async function wakeWhenNextDue() {
    const next = await findNextMailJobDue(deps.db);
    const wait = next ? next.getTime() - Date.now() : Infinity;
    if (stopped || dueTimer || wait >= pollMs) return;
    dueTimer = setTimeout(() => {
      dueTimer = null;
      if (!stopped) void kick();
    }, Math.max(10, wait));
    dueTimer.unref();
  }

  /** Runs until no due job is left; overlapping calls fold into one more pass. */
  function kick(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          while ((await runOnce()) > 0 && !stopped) {
            /* keep going while there is work */
          }
        } while (again && !stopped);
        await wakeWhenNextDue();
      } catch (err) {
        deps.logger.error({ err: (err as Error).message }, 'mail job runner failed');
      } finally {
        running = null;
      }
    })();
    return running;
  }

  return {
    start() {
      stopped = false;
      timer = setInterval(() => void kick(), pollMs);
      timer.unref();
      void kick();
    },
    /**
     * Wakes the runner shortly after a request queued mail. Not at once: building a message
     * takes milliseconds of CPU (MJML), and run right after the answer it slows the answer
     * (Node flushes it on the next tick) and the client's next request, so a new address,
     * which gets a confirmation, would answer measurably slower than a known one. A short
     * wait decouples the work from the request that caused it; requests meanwhile share a pass.
     */
    kick() {
      if (stopped || woken) return;
      woken = new Promise<void>((resolve) =>
        setTimeout(() => {
          woken = null;
          if (!stopped) void kick();
          resolve();
        }, KICK_DELAY_MS),
      );
    },
    /** Waits for the pass in progress (and one just asked for); for shutdown and tests. */
    async idle() {
      while (woken || running) {
        await woken;
        await running;
      }
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      if (dueTimer) clearTimeout(dueTimer);
      await woken;
      while (running) await running;
    },
  };
}

export type MailJobRunner = ReturnType<typeof createMailJobRunner>;
