import { Router, type RequestHandler } from 'express';
import { auditConsoleRoutes } from '../audit/routes';
import type { Config } from '../config';
import type { Db } from '../db';
import { auditChanges } from '../http/audit-trail';
import { createCsrf } from '../http/csrf';
import { loadStaffSession, requireRole, requireStaff, sessionCookie } from '../http/staff-session';
import type { Logger } from '../logger';
import { judgingConsoleRoutes } from '../judging/console-routes';
import { accountRoutes } from '../staff/account-routes';
import { staffAdminRoutes } from '../staff/admin-routes';
import { staffAuthRoutes } from '../staff/routes';
import { renderConsole } from './render';
import { EDITORS } from './screens';

export interface ConsoleDeps {
  config: Config;
  db: Db;
  logger: Logger;
  limitPublicPosts: RequestHandler;
}

// Pages that write their own, finer audit lines (or are not changes: signing in and out).
const OWN_AUDIT = /^\/(login|logout|welcome|reset|forgot|account|staff|judging)(\/|$)/;

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
  router.get('/', requireRole(...EDITORS), csrf.provideToken, (req, res) => {
    renderConsole(req, res, 'console/views/dashboard.njk', { title: 'Dashboard' });
  });
  router.use(accountRoutes(screenDeps));
  router.use(staffAdminRoutes(screenDeps));
  router.use(auditConsoleRoutes(screenDeps));
  router.use(judgingConsoleRoutes(screenDeps));
  return router;
}
