import type { Db } from '../db';
import type { Logger } from '../logger';
import { createPeriodicTask } from '../periodic';
import { releaseDueResults } from './service';

/**
 * Releases programmes' results when their time comes: at start, then every few seconds.
 * The time is in the database, so a release due while every process was down happens at the
 * next start; the claim in releaseDueResults makes it happen once across processes.
 */
export function createResultsReleaser(deps: { db: Db; logger: Logger; intervalMs?: number; released: () => void }) {
  return createPeriodicTask({
    intervalMs: deps.intervalMs ?? 5_000,
    onError: (err) => deps.logger.error({ err: (err as Error).message }, 'results release failed'),
    async run() {
      const released = await releaseDueResults(deps.db);
      if (released) {
        deps.logger.info({ programmes: released }, 'results released');
        deps.released();
      }
    },
  });
}
