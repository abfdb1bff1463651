/**
 * The few kinds of failure the application reports on purpose. Each has a stable code and
 * HTTP status; domain code throws them without knowing about HTTP responses.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: Record<string, string>,
  ) {
    super(message);
  }
}

export const validationFailed = (fields: Record<string, string>, message = 'Some fields need attention.') =>
  new AppError(422, 'validation_failed', message, fields);
export const badRequest = (message: string, code = 'bad_request') => new AppError(400, code, message);
export const unauthorized = () => new AppError(401, 'unauthorized', 'A valid bearer token is required.');
export const notFound = (message = 'Not found.') => new AppError(404, 'not_found', message);
export const conflict = (message: string, code = 'conflict') => new AppError(409, code, message);
export const unsupportedMediaType = (expected: string) =>
  new AppError(415, 'unsupported_media_type', `The body must be ${expected}.`);
export const storageUnavailable = () =>
  new AppError(503, 'storage_unavailable', 'We cannot store anything just now. Nothing was saved; please try again later.');

/**
 * A failure of the disk or database underneath rather than of the request: the folder or
 * file is gone or read-only, the disk is full. Answered 503 (nothing was stored), never 400.
 */
export function isStorageFault(err: unknown): boolean {
  const code = String((err as { code?: unknown })?.code ?? '');
  return (
    ['ENOENT', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'EIO'].includes(code) ||
    /^SQLITE_(READONLY|IOERR|FULL|CANTOPEN)/.test(code) ||
    code === '53100' // PostgreSQL disk_full
  );
}
