import type { Request, RequestHandler } from 'express';
import type { Logger } from '../logger';

/**
 * The path to log: the route's pattern when one matched (`/api/admin/subscribers/:email`),
 * otherwise the raw path with any segment that looks like an address blanked. Never the
 * query, where tokens travel.
 */
export function loggablePath(req: Request): string {
  if (req.route?.path && typeof req.route.path === 'string') return req.baseUrl + req.route.path;
  return req.path
    .split('/')
    .map((segment) => (segment.includes('@') || segment.includes('%40') ? ':redacted' : segment))
    .join('/');
}

/** One line per request: method, path, status, time. */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info({ method: req.method, path: loggablePath(req), status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
    next();
  };
}
