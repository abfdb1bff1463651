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

/**
 * Whether JSON text nests no deeper than `max` arrays and objects, found in one linear pass
 * before JSON.parse sees it: a body nested millions deep would otherwise hold the event
 * loop (and every other request) while it is parsed and walked.
 */
export function jsonDepthWithin(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) return false;
    } else if (c === 93 || c === 125) depth--;
  }
  return true;
}
