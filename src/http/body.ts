import express, { type RequestHandler } from 'express';
import { unsupportedMediaType } from '../errors';

/**
 * Body parsers that also refuse the wrong content type (415) instead of quietly
 * seeing an empty body. Size limits answer 413 through the error handler.
 */
export function requireContentType(types: string[], label: string): RequestHandler {
  return (req, _res, next) => {
    if (!req.is(types)) return next(unsupportedMediaType(label));
    next();
  };
}

export const jsonBody = (limit = '100kb'): RequestHandler[] => [
  requireContentType(['application/json'], 'application/json'),
  express.json({ limit, strict: true }),
];

/** `parameterLimit`: more fields than this answer 413; a form with many rows (bulk selections, categories) raises it. */
export const formBody = (limit = '100kb', parameterLimit = 200): RequestHandler[] => [
  requireContentType(['application/x-www-form-urlencoded'], 'a form (application/x-www-form-urlencoded)'),
  express.urlencoded({ limit, extended: false, parameterLimit }),
];
