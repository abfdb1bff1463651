import type { Db } from '../db';
import type { Logger } from '../logger';
import { createPeriodicTask } from '../periodic';
import type { FetchLimits } from './feed-fetch';
import { pollDueFeeds } from './service';

/**
 * Polls the registered feeds in the background: at start, then every interval
 * (FEED_POLL_MINUTES), each feed that is due. Stopping aborts the fetches in flight, so a
 * shutdown never waits for a slow feed.
 */
export function createFeedPoller(deps: { db: Db; logger: Logger; intervalMs: number; limits?: FetchLimits }) {
  return createPeriodicTask({
    intervalMs: deps.intervalMs,
    onError: (err) => deps.logger.error({ err: (err as Error).message }, 'feed poller failed'),
    async run(signal) {
      const results = await pollDueFeeds(deps.db, {
        intervalMs: deps.intervalMs,
        limits: deps.limits,
        signal,
        onError: (feedId, err) => deps.logger.error({ feed: feedId, err: (err as Error).message }, 'feed poll failed'),
      });
      for (const r of results) {
        if (r.error) deps.logger.warn({ feed: r.feedId, error: r.error }, 'feed not polled');
        else if (r.new || r.updated) deps.logger.info({ feed: r.feedId, new: r.new, updated: r.updated }, 'feed polled');
      }
    },
  });
}

export type FeedPoller = ReturnType<typeof createFeedPoller>;
