import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { AppError, isStorageFault, storageUnavailable } from '../errors';
import type { Logger } from '../logger';
import { loggablePath } from './request-log';

// The API and the webhooks always answer JSON; a page answers JSON too when the client asks for nothing else (the console's scripts).
const wantsJson = (req: Request) =>
  /^\/(api|webhooks)(\/|$)/i.test(req.path) || (req.get('accept') !== undefined && req.accepts(['text/html', 'application/json']) === 'application/json');

/** Errors thrown by body parsers and other middleware, turned into our kinds. */
function asAppError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; status?: number; code?: string };
  if (e?.type === 'entity.too.large' || e?.code === 'LIMIT_FILE_SIZE') {
    return new AppError(413, 'payload_too_large', 'The request body is too large.');
  }
  if (e?.type === 'entity.parse.failed') return new AppError(400, 'invalid_json', 'The body is not valid JSON.');
  if (e?.type === 'charset.unsupported' || e?.type === 'encoding.unsupported') {
    return new AppError(415, 'unsupported_media_type', 'Unsupported body encoding.');
  }
  if (e?.type === 'parameters.too.many') return new AppError(413, 'payload_too_large', 'Too many form fields.');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new AppError(e.status, 'bad_request', 'The request could not be understood.');
  }
  return null;
}

export function notFoundHandler(): RequestHandler {
  return (_req, _res, next) => next(new AppError(404, 'not_found', 'There is nothing at this address.'));
}

/**
 * The one error handler: the contract's JSON shape under /api, an HTML page elsewhere.
 * Unexpected errors are logged (no personal data: method, path without query, error) and
 * answered as a plain 500, never with a stack, SQL or file path.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let known = asAppError(err);
    if (!known && isStorageFault(err)) {
      logger.error({ method: req.method, path: loggablePath(req), err: scrubbed(err) }, 'storage unavailable');
      known = storageUnavailable();
    }
    if (!known) {
      logger.error({ method: req.method, path: loggablePath(req), err: scrubbed(err) }, 'unexpected error');
      known = new AppError(500, 'internal_error', 'Something went wrong on our side. Please try again later.');
    }
    if (res.headersSent) return;
    res.status(known.status);
    if (wantsJson(req)) {
      res.json({ error: { code: known.code, message: known.message, ...(known.fields ? { fields: known.fields } : {}) } });
      return;
    }
    res.render('pages/templates/error.njk', { status: known.status, message: known.message, title: errorTitle(known.status) });
  };
}

function errorTitle(status: number): string {
  if (status === 404) return 'Page not found';
  if (status === 429) return 'Too many requests';
  if (status === 413) return 'Too large';
  if (status >= 500) return 'Something went wrong';
  return 'That did not work';
}

/** An error for the log with anything address-like blanked (database errors quote values). */
export function scrubbed(err: unknown) {
  const e = err as Error & { code?: string };
  const blank = (s?: string) => s?.replace(/[^\s@()<>"',=]+@[^\s@()<>"',]+/g, '[address]');
  return { name: e?.name, code: e?.code, message: blank(e?.message), stack: blank(e?.stack) };
}
