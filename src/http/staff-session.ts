import type { Request, RequestHandler, Response } from 'express';
import type { Actor } from '../audit/schema';
import type { Db } from '../db';
import { AppError } from '../errors';
import type { StaffRow, StaffSessionRow } from '../staff/queries';
import type { StaffRole } from '../staff/schema';
import { staffActor } from '../staff/service';
import { readSession, SESSION_IDLE_MS } from '../staff/sessions';

/** The console's session cookie: HttpOnly, SameSite=Lax, Secure (and __Host-) on https. */
export function sessionCookie(secure: boolean) {
  return {
    name: secure ? '__Host-masthead.session' : 'masthead.session',
    options: { httpOnly: true, sameSite: 'lax' as const, secure, path: '/', maxAge: SESSION_IDLE_MS },
  };
}

export interface StaffLocals {
  staff?: StaffRow;
  session?: StaffSessionRow;
  actor?: Actor;
}

export const staffOf = (res: Response): StaffRow => {
  const staff = (res.locals as StaffLocals).staff;
  if (!staff) throw new AppError(401, 'unauthorized', 'Sign in first.');
  return staff;
};

export const actorOf = (res: Response): Actor => {
  const actor = (res.locals as StaffLocals).actor;
  if (!actor) throw new AppError(401, 'unauthorized', 'Sign in first.');
  return actor;
};

/** Reads the session cookie on console requests; sets res.locals.staff and .actor for a fully signed-in one. */
export function loadStaffSession(db: Db, secure: boolean): RequestHandler {
  const cookie = sessionCookie(secure);
  return async (req, res, next) => {
    const live = await readSession(db, req.cookies?.[cookie.name]);
    const locals = res.locals as StaffLocals;
    if (live) {
      locals.session = live.session;
      if (live.session.stage === 'full') {
        locals.staff = live.staff;
        locals.actor = staffActor(live.staff);
      }
    }
    next();
  };
}

const wantsJson = (req: Request) => req.accepts(['text/html', 'application/json']) === 'application/json';

/** Console pages need a full session: otherwise 303 to the sign-in page (JSON 401 for JSON clients). */
export function requireStaff(): RequestHandler {
  return (req, res, next) => {
    if ((res.locals as StaffLocals).staff) return next();
    if (wantsJson(req)) return next(new AppError(401, 'unauthorized', 'Sign in to the console first.'));
    const back = req.method === 'GET' && req.originalUrl !== '/admin' ? `?next=${encodeURIComponent(req.originalUrl)}` : '';
    res.redirect(303, `/admin/login${back}`);
  };
}

/** A route for some roles only: the others get 403. */
export function requireRole(...roles: StaffRole[]): RequestHandler {
  return (_req, res, next) => {
    const actor = (res.locals as StaffLocals).actor;
    if (!actor) return next(new AppError(401, 'unauthorized', 'Sign in first.'));
    if (!roles.includes(actor.role)) return next(new AppError(403, 'forbidden', 'Your role does not allow this.'));
    next();
  };
}
