import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../errors';
import { formBody } from '../http/body';
import { fieldErrors } from '../http/validate';
import { emailAddress } from '../subscribers/schema';
import { listMyEntries, requestSignIn, sessionEmail, SESSION_COOKIE, SESSION_TTL_SECONDS, signIn, signInUsable } from './my-entries';
import type { RouteDeps } from './routes';

const signInRequest = z.object({ email: emailAddress });

const usedLink = () => new AppError(400, 'invalid_token', 'This sign-in link has been used or has expired. Ask for a new one from “My entries”.');

/** GET /awards/my-entries and its sign-in: the same answer whether or not the address has entries. */
export function myEntriesRoutes(deps: RouteDeps): Router {
  const router = Router();
  const { csrf, limitPublicPosts } = deps;
  const cookieOptions = {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: deps.config.baseUrl.startsWith('https:'),
    path: '/awards',
  };
  const formPage = 'awards/views/my-entries-sign-in.njk';

  router.get('/awards/my-entries', csrf.provideToken, async (req, res) => {
    res.set('Cache-Control', 'private, no-store');
    const email = await sessionEmail(deps, req.cookies?.[SESSION_COOKIE]);
    if (!email) return res.render(formPage, { title: 'My entries', values: {}, errors: {} });
    res.render('awards/views/my-entries.njk', { title: 'My entries', email, ...(await listMyEntries(deps, email)) });
  });

  router.post('/awards/my-entries', limitPublicPosts, ...formBody(), csrf.protect, csrf.provideToken, async (req, res) => {
    const parsed = signInRequest.safeParse(req.body ?? {});
    if (!parsed.success) {
      return res.status(422).render(formPage, { title: 'My entries', values: { email: typeof req.body?.email === 'string' ? req.body.email : '' }, errors: fieldErrors(parsed.error) });
    }
    await requestSignIn(deps, parsed.data.email);
    res.redirect(303, '/awards/my-entries/sent');
  });

  router.get('/awards/my-entries/sent', (_req, res) => {
    res.render('awards/views/my-entries-sent.njk', { title: 'Check your inbox' });
  });

  // A page with a button, not a sign-in on GET: mail scanners that open links must not use up the one use.
  router.get('/awards/my-entries/sign-in', csrf.provideToken, async (req, res) => {
    if (!(await signInUsable(deps, req.query.token))) throw usedLink();
    res.set('Referrer-Policy', 'no-referrer');
    res.render('awards/views/my-entries-confirm.njk', { title: 'Sign in to my entries', action: `/awards/my-entries/sign-in?token=${encodeURIComponent(String(req.query.token))}` });
  });

  router.post('/awards/my-entries/sign-in', limitPublicPosts, ...formBody(), csrf.protect, async (req, res) => {
    const session = await signIn(deps, req.query.token);
    if (!session) throw usedLink();
    res.cookie(SESSION_COOKIE, session, { ...cookieOptions, maxAge: SESSION_TTL_SECONDS * 1000 });
    res.redirect(303, '/awards/my-entries');
  });

  router.post('/awards/my-entries/sign-out', ...formBody(), csrf.protect, (_req, res) => {
    res.clearCookie(SESSION_COOKIE, cookieOptions);
    res.redirect(303, '/awards/my-entries');
  });

  return router;
}
