import type { Db } from '../db';
import type { Logger } from '../logger';
import type { FeedAddressPolicy } from './feed-address';
import type { FetchLimits } from './feed-fetch';
import { pollDueFeeds } from './service';

/**
 * Polls the registered feeds in the background: at start, then every interval
 * (FEED_POLL_MINUTES), each feed that is due. Stopping aborts the fetches in flight, so a
 * shutdown never waits for a slow feed.
 */
export function createFeedPoller(deps: { db: Db; logger: Logger; intervalMs: number; addresses: FeedAddressPolicy; limits?: FetchLimits }) {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stop = new AbortController();

  function runOnce(): Promise<void> {
    if (running) return running;
    running = (async () => {
      try {
        const results = await pollDueFeeds(deps.db, {
          intervalMs: deps.intervalMs,
          limits: deps.limits,
          addresses: deps.addresses,
          logger: deps.logger,
          signal: stop.signal,
          onError: (feedId, err) => deps.logger.error({ feed: feedId, err: (err as Error).message }, 'feed poll failed'),
        });
        for (const r of results) {
          // A failed fetch was logged with its cause by pollFeed.
          if (!r.error && (r.new || r.updated)) deps.logger.info({ feed: r.feedId, new: r.new, updated: r.updated }, 'feed polled');
        }
      } catch (err) {
        deps.logger.error({ err: (err as Error).message }, 'feed poller failed');
      } finally {
        running = null;
      }
    })();
    return running;
  }

  return {
    start() {
      stop = new AbortController();
      timer = setInterval(() => void runOnce(), deps.intervalMs);
      timer.unref();
      void runOnce();
    },
    /** Polls the due feeds now and waits for it; for tests and the CLI. */
    runOnce,
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      stop.abort();
      while (running) await running;
    },
  };
}

export type FeedPoller = ReturnType<typeof createFeedPoller>;
