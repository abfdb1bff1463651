import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Config } from '../config';
import { AppError } from '../errors';
import type { Csrf } from '../http/csrf';
import { formBody, jsonBody } from '../http/body';
import { fieldErrors, parseInput } from '../http/validate';
import { listTopics } from '../topics/queries';
import { CONSENT, preferencesInput, subscriptionInput } from './schema';
import {
  confirmSubscription,
  DEFAULT_TOPIC,
  linkFor,
  requestSubscription,
  resolveToken,
  topicSlugsOf,
  unsubscribe,
  updateTopics,
  type SubscriberDeps,
  type TokenProblem,
} from './service';

interface RouteDeps extends SubscriberDeps {
  config: Config;
  csrf: Csrf;
  limitPublicPosts: RequestHandler;
}

const ACTION_PAGES = {
  confirm: { title: 'Confirm your subscription', message: 'Press the button to start receiving the newsletter.', button: 'Confirm subscription' },
  unsubscribe: { title: 'Unsubscribe', message: 'Press the button to stop receiving the newsletter at this address.', button: 'Unsubscribe' },
};

const UNSUBSCRIBED_PAGE = { title: 'You are unsubscribed', message: 'You will receive no more newsletters at this address.', resubscribe: true };

const TOKEN_PAGES: Record<TokenProblem, { title: string; message: string }> = {
  invalid: { title: 'This link is not valid', message: 'The link is incomplete or has been changed. Open it again from the email, or copy the whole address.' },
  expired: { title: 'This link has expired', message: 'Links in our emails stop working after a while. Subscribe again and we will send you a fresh one.' },
  used: { title: 'This link has already been used', message: 'Nothing was changed: this link has already done its job, or your subscription has changed since it was sent.' },
};

const ALREADY_SUBSCRIBED_PAGE = { title: 'You are subscribed', message: 'This address is already confirmed: the newsletter comes to it. Nothing needed doing.' };

/**
 * A link that cannot act. One used before, whose subscriber is now where it would have put
 * them, says so with 200 (a second click on "confirm" is not an error to the reader).
 */
function tokenProblem(res: Response, found: { problem: TokenProblem; now?: string }, purpose?: 'confirm' | 'unsubscribe') {
  if (found.problem === 'used' && purpose === 'confirm' && found.now === 'confirmed') return res.render('subscribers/views/done.njk', ALREADY_SUBSCRIBED_PAGE);
  if (found.problem === 'used' && purpose === 'unsubscribe' && found.now === 'unsubscribed') return res.render('subscribers/views/done.njk', UNSUBSCRIBED_PAGE);
  res.status(400).render('subscribers/views/token-problem.njk', TOKEN_PAGES[found.problem]);
}

/** RFC 8058 one-click: the body is `List-Unsubscribe=One-Click`, urlencoded or multipart. */
function isOneClick(req: Request): boolean {
  const body = req.body as unknown;
  if (body && typeof body === 'object') return (body as Record<string, unknown>)['List-Unsubscribe'] === 'One-Click';
  if (typeof body === 'string') return /name="List-Unsubscribe"\r?\n\r?\nOne-Click/.test(body);
  return false;
}

/** The newsletter's public pages and its public JSON API. */
export function subscriberRoutes(deps: RouteDeps): Router {
  const router = Router();
  const { csrf, limitPublicPosts } = deps;

  async function renderSignup(res: Response, status: number, values: Record<string, unknown>, errors: Record<string, string>) {
    res.status(status).render('subscribers/views/signup.njk', {
      title: 'Newsletter',
      topics: await listTopics(deps.db),
      values,
      errors,
      consentText: CONSENT.text(deps.config.orgName),
    });
  }

  router.get('/newsletter', csrf.provideToken, async (_req, res) => {
    await renderSignup(res, 200, { topics: [DEFAULT_TOPIC] }, {});
  });

  router.post('/newsletter/subscribe', limitPublicPosts, ...formBody(), csrf.protect, csrf.provideToken, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    if (body.homepage) return res.redirect(303, '/newsletter/check-inbox'); // honeypot: look the same, store nothing
    const keep = { email: body.email, name: body.name, topics: [body.topics ?? []].flat(), consent: body.consent };
    const parsed = subscriptionInput.safeParse(body);
    if (!parsed.success) return renderSignup(res, 422, keep, fieldErrors(parsed.error));
    try {
      await requestSubscription(deps, parsed.data, 'form');
    } catch (err) {
      if (err instanceof AppError && err.fields) return renderSignup(res, 422, keep, err.fields);
      throw err;
    }
    res.redirect(303, '/newsletter/check-inbox');
  });

  router.get('/newsletter/check-inbox', (_req, res) => {
    res.render('subscribers/views/check-inbox.njk', { title: 'Check your inbox' });
  });

  const actionUrl = (req: Request) => `${req.path}?token=${encodeURIComponent(String(req.query.token ?? ''))}`;

  // Opening a link only shows a page with one button: link scanners act for nobody.
  for (const purpose of ['confirm', 'unsubscribe'] as const) {
    router.get(`/newsletter/${purpose}`, csrf.provideToken, async (req, res) => {
      const found = await resolveToken(deps, req.query.token, purpose);
      if (!found.ok) return tokenProblem(res, found, purpose);
      res.render('subscribers/views/action.njk', { ...ACTION_PAGES[purpose], action: actionUrl(req) });
    });
  }

  router.post('/newsletter/confirm', limitPublicPosts, ...formBody(), csrf.protect, async (req, res) => {
    const result = await confirmSubscription(deps, req.query.token);
    if (!result.ok) return tokenProblem(res, result, 'confirm');
    res.render('subscribers/views/done.njk', {
      title: 'You are subscribed',
      message: 'Thank you. Your first digest will arrive with the next issue.',
      preferencesUrl: linkFor(deps, result.subscriber, 'preferences'),
    });
  });

  // Not behind the public rate limit: mailbox providers send one-click unsubscribes in bulk.
  router.post(
    '/newsletter/unsubscribe',
    express.urlencoded({ limit: '10kb', extended: false }),
    express.text({ type: 'multipart/form-data', limit: '10kb' }),
    (req, res, next) => (isOneClick(req) ? next() : csrf.protect(req, res, next)),
    async (req, res) => {
      const result = await unsubscribe(deps, req.query.token);
      if (!result.ok) return tokenProblem(res, result, 'unsubscribe');
      res.render('subscribers/views/done.njk', UNSUBSCRIBED_PAGE);
    },
  );

  async function renderPreferences(req: Request, res: Response, status: number, chosen: string[], extra: Record<string, unknown>) {
    res.status(status).render('subscribers/views/preferences.njk', {
      title: 'Newsletter preferences',
      topics: await listTopics(deps.db),
      chosen,
      action: actionUrl(req),
      errors: {},
      ...extra,
    });
  }

  router.get('/newsletter/preferences', csrf.provideToken, async (req, res) => {
    const found = await resolveToken(deps, req.query.token, 'preferences');
    if (!found.ok) return tokenProblem(res, found);
    await renderPreferences(req, res, 200, await topicSlugsOf(deps, found.subscriber), { email: found.subscriber.email });
  });

  router.post('/newsletter/preferences', limitPublicPosts, ...formBody(), csrf.protect, csrf.provideToken, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    if (body.action === 'unsubscribe') {
      const result = await unsubscribe(deps, req.query.token, 'preferences');
      if (!result.ok) return tokenProblem(res, result);
      return res.render('subscribers/views/done.njk', UNSUBSCRIBED_PAGE);
    }
    const found = await resolveToken(deps, req.query.token, 'preferences');
    if (!found.ok) return tokenProblem(res, found);
    const wanted = [body.topics ?? []].flat().map(String);
    const parsed = preferencesInput.safeParse(body);
    if (!parsed.success) return renderPreferences(req, res, 422, wanted, { email: found.subscriber.email, errors: fieldErrors(parsed.error) });
    try {
      const topics = await updateTopics(deps, found.subscriber, parsed.data.topics);
      await renderPreferences(req, res, 200, topics.map((t) => t.slug), { email: found.subscriber.email, saved: true });
    } catch (err) {
      if (err instanceof AppError && err.fields) return renderPreferences(req, res, 422, wanted, { email: found.subscriber.email, errors: err.fields });
      throw err;
    }
  });

  router.post('/api/subscriptions', limitPublicPosts, ...jsonBody(), async (req, res) => {
    const input = parseInput(subscriptionInput, req.body);
    await requestSubscription(deps, input, 'api');
    res.status(202).json({ status: 'pending' });
  });

  return router;
}
