import type { Db } from '../db';
import type { Logger } from '../logger';
import { createPeriodicTask } from '../periodic';
import { deleteIdleSessions, deleteOldLoginFailures } from './queries';
import { LOCK_FOR_MS, LOCK_WINDOW_MS } from './service';
import { SESSION_IDLE_MS } from './sessions';

/**
 * Hourly: sessions idle past their 12 hours and failed sign-ins too old to lock anyone are
 * deleted, so neither table grows with abandoned rows (an expired session is refused when
 * presented anyway; this only clears the ones never presented again).
 */
export function createStaffHousekeeping(deps: { db: Db; logger: Logger; intervalMs?: number; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  return createPeriodicTask({
    intervalMs: deps.intervalMs ?? 60 * 60_000,
    onError: (err) => deps.logger.error({ err: (err as Error).message }, 'staff housekeeping failed'),
    async run() {
      const at = now().getTime();
      const sessions = await deleteIdleSessions(deps.db, new Date(at - SESSION_IDLE_MS));
      const failures = await deleteOldLoginFailures(deps.db, new Date(at - LOCK_WINDOW_MS - LOCK_FOR_MS));
      if (sessions || failures) deps.logger.info({ sessions, failures }, 'staff housekeeping');
    },
  });
}
