import express, { Router } from 'express';
import type { Config } from '../config';
import type { Db } from '../db';
import { notFound } from '../errors';
import type { WebhookProvider } from './providers/common';
import { genericProvider } from './providers/generic';
import { postmarkProvider } from './providers/postmark';
import { httpsFetch, sesProvider, type SnsFetch } from './providers/ses';
import type { Provider } from './rules';
import { recordReports } from './service';

export interface BounceRouteDeps {
  db: Db;
  config: Pick<Config, 'secret' | 'bounces'>;
  /** How the `ses` webhook fetches SNS certificates and confirms subscriptions; tests pass their own. */
  snsFetch?: SnsFetch;
}

/** The providers whose secrets are configured; the others are not there at all (404). */
function configuredProviders(deps: BounceRouteDeps): Partial<Record<Provider, WebhookProvider>> {
  const { bounces } = deps.config;
  return {
    ...(bounces.sesTopicArns.length ? { ses: sesProvider({ topicArns: bounces.sesTopicArns, fetch: deps.snsFetch ?? httpsFetch }) } : {}),
    ...(bounces.postmark ? { postmark: postmarkProvider(bounces.postmark) } : {}),
    ...(bounces.webhookSecret ? { generic: genericProvider(bounces.webhookSecret) } : {}),
  };
}

/**
 * POST /webhooks/bounces/:provider. No CSRF token (providers post from their servers; each
 * request carries its own proof), any content type (SNS posts JSON as text/plain), 512 KB at most.
 */
export function bounceWebhookRoutes(deps: BounceRouteDeps): Router {
  const providers = configuredProviders(deps);
  const router = Router();
  router.post('/webhooks/bounces/:provider', express.raw({ type: () => true, limit: '512kb' }), async (req, res) => {
    const name = String(req.params.provider);
    const provider = Object.hasOwn(providers, name) ? providers[name as Provider] : undefined;
    if (!provider) throw notFound('There is no bounce webhook for this provider.');
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const reports = await provider.receive({ body, header: (h) => req.get(h) });
    res.json(await recordReports(deps, name as Provider, reports));
  });
  return router;
}
