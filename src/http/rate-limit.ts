import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { AppError } from '../errors';

/**
 * PUBLIC_RATE_LIMIT POSTs per minute per client address, shared by every public form and
 * the public JSON API. One instance per app, so the count is per client, not per route.
 */
export function publicPostLimiter(perMinute: number): RequestHandler {
  if (perMinute <= 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req, res, next, options) => {
      res.set('Retry-After', String(Math.ceil(options.windowMs / 1000)));
      next(new AppError(429, 'rate_limited', 'Too many requests from this address. Please wait a minute and try again.'));
    },
  });
}
