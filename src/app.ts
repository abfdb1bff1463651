import cookieParser from 'cookie-parser';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { articleAdminRoutes } from './articles/routes';
import { awardAdminRoutes } from './awards/admin-routes';
import { awardRoutes } from './awards/routes';
import { auditAdminRoutes } from './audit/routes';
import { bounceWebhookRoutes } from './bounces/routes';
import type { SnsFetch } from './bounces/providers/ses';
import { clickRoutes } from './clicks/routes';
import { consoleRoutes } from './console/routes';
import type { Config } from './config';
import type { Db } from './db';
import { digestAdminRoutes, digestRoutes } from './digests/routes';
import { healthRoutes } from './health';
import { judgingAdminRoutes } from './judging/routes';
import { winnersRoutes } from './judging/winners-routes';
import { requireAdminToken } from './http/admin-auth';
import { auditChanges } from './http/audit-trail';
import { createCsrf } from './http/csrf';
import { deliveryAdminRoutes } from './delivery/routes';
import { errorHandler, notFoundHandler } from './http/error-handler';
import { publicPostLimiter } from './http/rate-limit';
import { requestLog } from './http/request-log';
import { scheduleAdminRoutes } from './schedules/routes';
import { requireStorage } from './http/storage-guard';
import type { Logger } from './logger';
import { homeRoutes } from './pages/routes';
import { siteRoutes } from './pages/site-routes';
import { installViews } from './pages/views';
import { subscriberAdminRoutes } from './subscribers/admin-routes';
import { topicAdminRoutes } from './topics/routes';
import { subscriberRoutes } from './subscribers/routes';

export interface AppDeps {
  config: Config;
  db: Db;
  logger: Logger;
  /** Wakes the transactional mail sender after a request queued mail. */
  mailQueued: () => void;
  /** Wakes the digest sender after a send started, resumed or was retried. */
  deliveryQueued: () => void;
  /** How the SES bounce webhook fetches SNS certificates; tests pass their own (default: https). */
  snsFetch?: SnsFetch;
}

/** A logo served over plain http needs its origin allowed by the page's CSP (https ones already are). */
const plainHttpOrigin = (address: string | null) => (address?.startsWith('http:') ? [new URL(address).origin] : []);

/** Builds the Express app from its dependencies; it opens no port (server.ts and tests do). */
export function createApp(deps: AppDeps): Express {
  const { config, db, logger } = deps;
  const app = express();
  const secure = config.baseUrl.startsWith('https:');

  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // Behind a reverse proxy, req.ip (and so the public rate limit) is the client it names.
  app.set('trust proxy', config.trustProxy);
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          formAction: ["'self'"],
          imgSrc: ["'self'", 'https:', 'data:', ...plainHttpOrigin(config.site.brandLogoUrl)],
          upgradeInsecureRequests: secure ? [] : null,
        },
      },
      strictTransportSecurity: secure,
    }),
  );
  app.use(requestLog(logger));
  installViews(app, config);
  app.use(healthRoutes(db, config.dataDir));
  app.use(cookieParser());

  const csrf = createCsrf({ secret: config.secret, secure });
  const limitPublicPosts = publicPostLimiter(config.publicRateLimit);

  // Every admin route sits behind the bearer token, including ones that do not exist, in
  // any letter case (the guard matches the path itself rather than trusting the mount).
  app.use(requireAdminToken(db, config.adminToken));
  app.use('/api/admin', auditChanges(db, logger));
  app.use('/api/admin', auditAdminRoutes(deps));
  // After the token check, so the admin API still says 401 first to a caller without one.
  app.use(requireStorage(db));
  app.use('/api/admin', subscriberAdminRoutes(deps));
  app.use('/api/admin', articleAdminRoutes(deps));
  app.use('/api/admin', topicAdminRoutes(deps));
  app.use('/api/admin', digestAdminRoutes(deps));
  app.use('/api/admin', deliveryAdminRoutes(deps));
  app.use('/api/admin', awardAdminRoutes(deps));
  app.use('/api/admin', judgingAdminRoutes(deps));
  app.use('/api/admin', scheduleAdminRoutes(deps));

  app.use(bounceWebhookRoutes(deps));
  app.use('/admin', consoleRoutes({ ...deps, limitPublicPosts }));
  app.use(homeRoutes({ db, config, csrf }));
  app.use(siteRoutes({ config }));
  app.use(subscriberRoutes({ ...deps, csrf, limitPublicPosts }));
  app.use(digestRoutes(deps));
  app.use(clickRoutes(deps));
  app.use(winnersRoutes(deps));
  app.use(awardRoutes({ ...deps, csrf, limitPublicPosts }));

  app.use(notFoundHandler());
  app.use(errorHandler(logger));
  return app;
}
