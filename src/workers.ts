import { entryConfirmationEmailHandler } from './awards/entry-confirmation-email';
import { ENTRY_CONFIRMATION_MAIL } from './awards/service';
import { createFeedPoller } from './articles/feed-poller';
import type { Config } from './config';
import type { Db } from './db';
import type { Logger } from './logger';
import { createMailJobRunner } from './mail/job-runner';
import { createMailTransport } from './mail/transport';
import { CONFIRMATION_MAIL } from './subscribers/service';
import { confirmationEmailHandler } from './subscribers/confirmation-email';

/**
 * The background work every server process (and `npm run worker`) runs: the
 * transactional mail sender. Each feature registers the messages it queues.
 */
export function createWorkers(deps: { config: Config; db: Db; logger: Logger; pollMs?: number }) {
  const transport = createMailTransport(deps.config);
  const mailJobs = createMailJobRunner({
    db: deps.db,
    transport,
    logger: deps.logger,
    pollMs: deps.pollMs,
    handlers: {
      [CONFIRMATION_MAIL]: confirmationEmailHandler(deps),
      [ENTRY_CONFIRMATION_MAIL]: entryConfirmationEmailHandler(deps),
    },
  });

  const feeds = createFeedPoller({ db: deps.db, logger: deps.logger, intervalMs: deps.config.feedPollMinutes * 60_000 });

  return {
    mailJobs,
    feeds,
    start() {
      mailJobs.start();
      feeds.start();
    },
    async stop() {
      await feeds.stop();
      await mailJobs.stop();
      transport.close();
    },
  };
}

export type Workers = ReturnType<typeof createWorkers>;
