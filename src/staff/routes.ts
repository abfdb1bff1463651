import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Config } from '../config';
import type { Db } from '../db';
import { formBody } from '../http/body';
import type { Csrf } from '../http/csrf';
import { sessionCookie, type StaffLocals } from '../http/staff-session';
import { fieldErrors } from '../http/validate';
import { renderConsole, setFlash } from '../console/render';
import { findStaffById, type StaffRow } from './queries';
import { codeForm, loginForm, newPassword } from './schema';
import { checkSecondFactor, requestPasswordReset, setStaffPassword, signInWithPassword, staffActor, staffForLink, startSignedInSession } from './service';
import { endSession } from './sessions';
import type { StaffLinkPurpose } from './links';

interface Deps {
  db: Db;
  config: Config;
  csrf: Csrf;
  limitPublicPosts: RequestHandler;
}

const LOCKED = 'Too many failed attempts. Sign-in is paused for 15 minutes; try again later or reset your password.';
const INVALID = 'The email address or password is not right.';

/** Only a path inside the console is a place to go back to after signing in. */
const safeNext = (value: unknown) => (typeof value === 'string' && /^\/admin(\/|$|\?)/.test(value) && !value.includes('//') ? value : '');

/** Signing in and out, the welcome link and password resets: the console pages that need no session. */
export function staffAuthRoutes(deps: Deps): Router {
  const router = Router();
  const { db, config, csrf } = deps;
  const secure = config.baseUrl.startsWith('https:');
  const cookie = sessionCookie(secure);
  const body = [deps.limitPublicPosts, ...formBody('10kb'), csrf.protect, csrf.provideToken];

  const renderLogin = (req: Request, res: Response, status: number, data: Record<string, unknown>) =>
    renderConsole(req, res, 'staff/views/login.njk', { title: 'Sign in', next: safeNext(req.query.next ?? (req.body as { next?: unknown })?.next), ...data }, status);

  router.get('/login', csrf.provideToken, (req, res) => {
    const locals = res.locals as StaffLocals;
    if (locals.staff) return res.redirect(303, safeNext(req.query.next) || '/admin');
    renderLogin(req, res, 200, { stage: locals.session?.stage === 'password' ? 'code' : 'password', email: '' });
  });

  router.post('/login', ...body, async (req, res) => {
    const locals = res.locals as StaffLocals;
    const next = safeNext((req.body as { next?: unknown }).next);
    const signedIn = (staff: StaffRow, value: string) => {
      res.cookie(cookie.name, value, cookie.options);
      res.redirect(303, next || '/admin');
    };

    // Second step: the session already knows the account.
    if (locals.session?.stage === 'password') {
      const { code } = codeForm.parse(req.body);
      const staff = await findStaffById(db, locals.session.staff_id);
      const result = staff ? await checkSecondFactor(deps, staff, code) : 'invalid';
      if (result === 'ok' && staff) {
        await endSession(db, req.cookies?.[cookie.name]);
        return signedIn(staff, await startSignedInSession(db, staff, 'totp'));
      }
      if (result === 'locked') {
        await endSession(db, req.cookies?.[cookie.name]);
        res.clearCookie(cookie.name, { path: '/' });
        return renderLogin(req, res, 429, { stage: 'password', email: '', problem: LOCKED });
      }
      return renderLogin(req, res, 401, { stage: 'code', problem: 'That code did not work. Codes change every 30 seconds; use the newest one.' });
    }

    const parsed = loginForm.safeParse(req.body);
    const { email, password } = parsed.success ? parsed.data : { email: '', password: '' };
    const result = await signInWithPassword(deps, email, password);
    if (result.outcome === 'signed-in') return signedIn(result.staff, result.cookie);
    if (result.outcome === 'needs-code') {
      res.cookie(cookie.name, result.cookie, cookie.options);
      return res.redirect(303, `/admin/login${next ? `?next=${encodeURIComponent(next)}` : ''}`);
    }
    const problem = result.outcome === 'locked' ? LOCKED : INVALID;
    renderLogin(req, res, result.outcome === 'locked' ? 429 : 401, { stage: 'password', email, problem });
  });

  router.post('/logout', ...formBody('10kb'), csrf.protect, async (req, res) => {
    await endSession(db, req.cookies?.[cookie.name]);
    res.clearCookie(cookie.name, { path: '/', secure, httpOnly: true, sameSite: 'lax' });
    setFlash(res, 'You are signed out.');
    res.redirect(303, '/admin/login');
  });

  router.get('/forgot', csrf.provideToken, (req, res) => {
    renderConsole(req, res, 'staff/views/forgot.njk', { title: 'Reset your password', sent: false });
  });

  router.post('/forgot', ...body, async (req, res) => {
    const parsed = loginForm.pick({ email: true }).safeParse(req.body);
    if (parsed.success) await requestPasswordReset(db, parsed.data.email);
    renderConsole(req, res, 'staff/views/forgot.njk', { title: 'Reset your password', sent: true });
  });

  // Welcome (first password) and reset share one flow: a link that works once, then a password form.
  for (const [page, purpose] of [['welcome', 'staff-welcome'], ['reset', 'staff-reset']] as [string, StaffLinkPurpose][]) {
    const copy =
      purpose === 'staff-welcome'
        ? { title: 'Welcome: set your password', intro: 'Choose the password you will sign in with.', button: 'Set password and sign in' }
        : { title: 'Choose a new password', intro: 'Your new password replaces the old one and signs you out everywhere else.', button: 'Change password and sign in' };
    const linkProblem = (req: Request, res: Response) =>
      renderConsole(req, res, 'staff/views/message.njk', {
        title: 'This link does not work',
        message: 'It has expired, has already been used, or was not copied whole. Ask an admin for a new welcome link, or request a new password reset.',
        link: { href: '/admin/forgot', label: 'Request a password reset' },
      }, 400);
    const form = (req: Request, res: Response, status: number, errors: Record<string, string>) =>
      renderConsole(req, res, 'staff/views/set-password.njk', { ...copy, action: `/admin/${page}?token=${encodeURIComponent(String(req.query.token))}`, errors }, status);

    router.get(`/${page}`, csrf.provideToken, async (req, res) => {
      const staff = await staffForLink(deps, req.query.token, purpose);
      if (!staff) return linkProblem(req, res);
      form(req, res, 200, {});
    });

    router.post(`/${page}`, ...body, async (req, res) => {
      const staff = await staffForLink(deps, req.query.token, purpose);
      if (!staff) return linkProblem(req, res);
      const parsed = newPassword.safeParse(req.body);
      if (!parsed.success) return form(req, res, 422, fieldErrors(parsed.error));
      await setStaffPassword(db, staff, parsed.data.password, staffActor(staff));
      await endSession(db, req.cookies?.[cookie.name]);
      if (staff.totp_secret) {
        // The second factor still applies: sign in with the new password and a code.
        setFlash(res, 'Your password is set. Sign in with it and a code from your app.');
        return res.redirect(303, '/admin/login');
      }
      res.cookie(cookie.name, await startSignedInSession(db, staff, 'link'), cookie.options);
      setFlash(res, 'Your password is set. You are signed in.');
      res.redirect(303, '/admin');
    });
  }

  return router;
}
