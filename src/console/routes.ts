import { Router, type RequestHandler } from 'express';
import { articleConsoleRoutes } from '../articles/console-routes';
import { auditConsoleRoutes } from '../audit/routes';
import { entryConsoleRoutes } from '../awards/console-entries';
import { programmeConsoleRoutes } from '../awards/console-programmes';
import type { Config } from '../config';
import type { Db } from '../db';
import { auditChanges } from '../http/audit-trail';
import { createCsrf } from '../http/csrf';
import { loadStaffSession, requireStaff, sessionCookie, type StaffLocals } from '../http/staff-session';
import type { Logger } from '../logger';
import { judgingConsoleRoutes } from '../judging/console-routes';
import { accountRoutes } from '../staff/account-routes';
import { staffAdminRoutes } from '../staff/admin-routes';
import { staffAuthRoutes } from '../staff/routes';
import { subscriberConsoleRoutes } from '../subscribers/console-routes';
import { digestConsoleRoutes } from '../digests/console-routes';
import { scheduleConsoleRoutes } from '../schedules/console-routes';
import { topicConsoleRoutes } from '../topics/console-routes';
import { dashboardRoutes } from './dashboard';
import { homeFor } from './screens';

export interface ConsoleDeps {
  config: Config;
  db: Db;
  logger: Logger;
  limitPublicPosts: RequestHandler;
  /** Wakes the mail sender after a screen queued mail (an import's confirmations). */
  mailQueued: () => void;
  /** Wakes the digest sender after a screen started, resumed or retried a send. */
  deliveryQueued: () => void;
}

// Pages that write their own, finer audit lines (or are not changes: signing in and out).
// A bulk status change writes one line per entry moved.
const OWN_AUDIT = /^\/(login|logout|welcome|reset|forgot|account|staff|judging|entries\/bulk)(\/|$)/;

/**
 * The staff console under /admin: the sign-in pages, then everything else behind a full
 * session, each screen behind its roles. Forms carry CSRF tokens bound to the session.
 */
export function consoleRoutes(deps: ConsoleDeps): Router {
  const router = Router();
  const secure = deps.config.baseUrl.startsWith('https:');
  const cookieName = sessionCookie(secure).name;
  const csrf = createCsrf({
    secret: deps.config.secret,
    secure,
    cookieName: 'masthead.console-csrf',
    sessionIdentifier: (req) => (typeof req.cookies?.[cookieName] === 'string' ? req.cookies[cookieName] : ''),
  });
  const screenDeps = { ...deps, csrf };

  router.use(loadStaffSession(deps.db, secure));
  router.use(auditChanges(deps.db, deps.logger, { skip: OWN_AUDIT }));
  router.use(staffAuthRoutes(screenDeps));

  router.use(requireStaff());
  // Sign-in always lands on /admin; a judge, who has no dashboard, is sent on to their own screen.
  router.get('/', (req, res, next) => {
    const role = (res.locals as StaffLocals).actor?.role;
    if (role === 'judge') return res.redirect(303, homeFor(role));
    next();
  });
  router.use(dashboardRoutes(screenDeps));
  router.use(entryConsoleRoutes(screenDeps));
  router.use(programmeConsoleRoutes(screenDeps));
  router.use(subscriberConsoleRoutes(screenDeps));
  router.use(articleConsoleRoutes(screenDeps));
  router.use(digestConsoleRoutes(screenDeps));
  router.use(topicConsoleRoutes(screenDeps));
  router.use(scheduleConsoleRoutes(screenDeps));
  router.use(accountRoutes(screenDeps));
  router.use(staffAdminRoutes(screenDeps));
  router.use(auditConsoleRoutes(screenDeps));
  router.use(judgingConsoleRoutes(screenDeps));
  return router;
}
