import type { RequestHandler } from 'express';
import { OPERATOR } from '../audit/schema';
import type { Db } from '../db';
import { AppError, unauthorized } from '../errors';
import { actorForApiToken } from '../staff/service';
import { safeEqual } from '../tokens';
import type { StaffLocals } from './staff-session';

/**
 * /api/admin and below, in any case: Express matches routes case-insensitively, so
 * `/API/ADMIN/subscribers` reaches the same handler and must meet the same guard.
 */
export const isAdminApiPath = (path: string) => /^\/api\/admin(\/|$)/i.test(path);

/**
 * Guards /api/admin/* (any case): `Authorization: Bearer …` with the operator's ADMIN_TOKEN
 * (the admin role) or a staff member's personal token (their role). Sets res.locals.actor
 * for the audit log.
 */
export function requireAdminToken(db: Db, adminToken: string): RequestHandler {
  return async (req, res, next) => {
    if (!isAdminApiPath(req.path)) return next();
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) return next(unauthorized());
    // Both checks always run, so the answer's timing does not tell which kind of token was close.
    const operator = safeEqual(match[1], adminToken);
    const personal = await actorForApiToken(db, match[1]);
    const actor = operator ? OPERATOR : personal;
    if (!actor) return next(unauthorized());
    // Judges work only in the console's judging pages.
    if (actor.role === 'judge') return next(new AppError(403, 'forbidden', 'Your role does not allow this.'));
    (res.locals as StaffLocals).actor = actor;
    next();
  };
}
