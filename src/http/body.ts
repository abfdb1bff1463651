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

export const formBody = (limit = '100kb'): RequestHandler[] => [
  requireContentType(['application/x-www-form-urlencoded'], 'a form (application/x-www-form-urlencoded)'),
  express.urlencoded({ limit, extended: false, parameterLimit: 200 }),
];
