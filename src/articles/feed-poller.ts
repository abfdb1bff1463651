import type { Db } from '../db';
import type { Logger } from '../logger';
import type { FeedAddressPolicy } from './feed-address';
import { createPeriodicTask } from '../periodic';
import type { FetchLimits } from './feed-fetch';
import { pollDueFeeds } from './service';

/**
 * Polls the registered feeds in the background: at start, then every interval
 * (FEED_POLL_MINUTES), each feed that is due. Stopping aborts the fetches in flight, so a
 * shutdown never waits for a slow feed.
 */
export function createFeedPoller(deps: { db: Db; logger: Logger; intervalMs: number; addresses: FeedAddressPolicy; limits?: FetchLimits }) {
  return createPeriodicTask({
    intervalMs: deps.intervalMs,
    onError: (err) => deps.logger.error({ err: (err as Error).message }, 'feed poller failed'),
    async run(signal) {
      const results = await pollDueFeeds(deps.db, {
        intervalMs: deps.intervalMs,
        limits: deps.limits,
        addresses: deps.addresses,
        logger: deps.logger,
        signal,
        onError: (feedId, err) => deps.logger.error({ feed: feedId, err: (err as Error).message }, 'feed poll failed'),
      });
      for (const r of results) {
        // A failed fetch was logged with its cause by pollFeed.
        if (!r.error && (r.new || r.updated)) deps.logger.info({ feed: r.feedId, new: r.new, updated: r.updated }, 'feed polled');
      }
    },
  });
}

export type FeedPoller = ReturnType<typeof createFeedPoller>;
