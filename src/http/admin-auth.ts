import type { RequestHandler } from 'express';
import { unauthorized } from '../errors';
import { safeEqual } from '../tokens';

/**
 * /api/admin and below, in any case: Express matches routes case-insensitively, so
 * `/API/ADMIN/subscribers` reaches the same handler and must meet the same guard.
 */
export const isAdminApiPath = (path: string) => /^\/api\/admin(\/|$)/i.test(path);

/** Guards /api/admin/* (any case): every request needs `Authorization: Bearer <ADMIN_TOKEN>`. */
export function requireAdminToken(adminToken: string): RequestHandler {
  return (req, _res, next) => {
    if (!isAdminApiPath(req.path)) return next();
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match || !safeEqual(match[1], adminToken)) return next(unauthorized());
    next();
  };
}
