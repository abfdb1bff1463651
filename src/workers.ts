import { createDraftReminders } from './awards/draft-reminders';
import { duplicateAttemptEmailHandler } from './awards/duplicate-attempt-email';
import { entrantEmailHandlers } from './awards/entrant-emails';
import { entryConfirmationEmailHandler } from './awards/entry-confirmation-email';
import { ENTRY_CONFIRMATION_MAIL, ENTRY_DUPLICATE_ATTEMPT_MAIL } from './awards/service';
import { createBounceMailbox } from './bounces/mailbox';
import { feedAddressPolicy } from './articles/feed-address';
import { createFeedPoller } from './articles/feed-poller';
import type { Config } from './config';
import type { Db } from './db';
import { createDeliveryWorker, type DeliveryWorkerOptions } from './delivery/worker';
import type { Logger } from './logger';
import { createMailJobRunner } from './mail/job-runner';
import { createMailTransport } from './mail/transport';
import { CONFIRMATION_MAIL, WELCOME_MAIL } from './subscribers/service';
import { confirmationEmailHandler, welcomeEmailHandler } from './subscribers/confirmation-email';
import { staffAccessEmailHandler } from './staff/access-email';
import { createStaffHousekeeping } from './staff/housekeeping';
import { createResultsReleaser } from './judging/releaser';
import { createScheduleRunner } from './schedules/runner';
import { resultEmailHandler } from './judging/result-email';
import { RESULT_MAIL } from './judging/service';
import { STAFF_RESET_MAIL, STAFF_WELCOME_MAIL } from './staff/service';

/**
 * The background work every server process (and `npm run worker`) runs: the
 * transactional mail sender (each feature registers the messages it queues), the digest
 * sender, the feed poller, the results releaser, the digest schedules, the draft reminders
 * and, when configured, the bounce mailbox.
 */
export function createWorkers(deps: {
  config: Config;
  db: Db;
  logger: Logger;
  pollMs?: number;
  delivery?: Partial<Omit<DeliveryWorkerOptions, 'db' | 'config' | 'logger'>>;
}) {
  const transport = createMailTransport(deps.config);
  const mailJobs = createMailJobRunner({
    db: deps.db,
    transport,
    logger: deps.logger,
    pollMs: deps.pollMs,
    handlers: {
      [CONFIRMATION_MAIL]: confirmationEmailHandler(deps),
      [WELCOME_MAIL]: welcomeEmailHandler(deps),
      [ENTRY_CONFIRMATION_MAIL]: entryConfirmationEmailHandler(deps),
      [STAFF_WELCOME_MAIL]: staffAccessEmailHandler(deps, STAFF_WELCOME_MAIL),
      [STAFF_RESET_MAIL]: staffAccessEmailHandler(deps, STAFF_RESET_MAIL),
      [ENTRY_DUPLICATE_ATTEMPT_MAIL]: duplicateAttemptEmailHandler(deps),
      [RESULT_MAIL]: resultEmailHandler(deps),
      ...entrantEmailHandlers(deps),
    },
  });

  const delivery = createDeliveryWorker({ db: deps.db, config: deps.config, logger: deps.logger, ...deps.delivery });
  const feeds = createFeedPoller({
    db: deps.db,
    logger: deps.logger,
    intervalMs: deps.config.feedPollMinutes * 60_000,
    addresses: feedAddressPolicy({ allowPrivate: deps.config.feedAllowPrivate }),
  });
  const results = createResultsReleaser({ db: deps.db, logger: deps.logger, intervalMs: deps.pollMs ? Math.max(deps.pollMs, 500) : undefined, released: () => mailJobs.kick() });

  const schedules = createScheduleRunner({ ...deps, intervalMs: deps.pollMs ? Math.max(deps.pollMs, 500) : undefined, deliveryQueued: () => delivery.kick() });

  const housekeeping = createStaffHousekeeping({ db: deps.db, logger: deps.logger });
  const { imapUrl, imapPollMinutes } = deps.config.bounces;
  const bounceMailbox = imapUrl ? createBounceMailbox({ ...deps, imapUrl, intervalMs: imapPollMinutes * 60_000 }) : null;
  const draftReminders = createDraftReminders({ db: deps.db, logger: deps.logger, queued: () => mailJobs.kick() });

  return {
    mailJobs,
    delivery,
    feeds,
    results,
    schedules,
    housekeeping,
    bounceMailbox,
    draftReminders,
    start() {
      mailJobs.start();
      delivery.start();
      feeds.start();
      results.start();
      schedules.start();
      housekeeping.start();
      bounceMailbox?.start();
      draftReminders.start();
    },
    async stop() {
      await bounceMailbox?.stop();
      await draftReminders.stop();
      await housekeeping.stop();
      await schedules.stop();
      await results.stop();
      await feeds.stop();
      await delivery.stop();
      await mailJobs.stop();
      transport.close();
    },
  };
}

export type Workers = ReturnType<typeof createWorkers>;
