import type { RequestHandler } from 'express';
import { unauthorized } from '../errors';
import { safeEqual } from '../tokens';

/** Guards /api/admin/*: every request needs `Authorization: Bearer <ADMIN_TOKEN>`. */
export function requireAdminToken(adminToken: string): RequestHandler {
  return (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match || !safeEqual(match[1], adminToken)) return next(unauthorized());
    next();
  };
}
