import type { Request, RequestHandler } from 'express';
import { doubleCsrf } from 'csrf-csrf';
import { AppError } from '../errors';

/**
 * Double-submit CSRF protection for the HTML forms (the JSON API needs none: browsers
 * cannot send application/json cross-site without CORS). The token goes in a hidden
 * `_csrf` field; the cookie is HttpOnly, SameSite=Strict, and Secure on https.
 */
export function createCsrf(options: {
  secret: string;
  secure: boolean;
  skip?: (req: Request) => boolean;
  /** The console binds its tokens to the staff session; the public forms have none. */
  sessionIdentifier?: (req: Request) => string;
  cookieName?: string;
}) {
  const name = options.cookieName ?? 'masthead.csrf';
  const { generateCsrfToken, doubleCsrfProtection } = doubleCsrf({
    getSecret: () => options.secret,
    // Without a session the HMAC binds the form token to the random value in the cookie.
    getSessionIdentifier: options.sessionIdentifier ?? (() => 'masthead'),
    cookieName: options.secure ? `__Host-${name}` : name,
    cookieOptions: { sameSite: 'strict', path: '/', secure: options.secure, httpOnly: true },
    getCsrfTokenFromRequest: (req) => (req.body && typeof req.body._csrf === 'string' ? req.body._csrf : undefined),
    skipCsrfProtection: options.skip,
  });

  /** Puts a token in res.locals.csrfToken for the page's forms. */
  const provideToken: RequestHandler = (req, res, next) => {
    res.locals.csrfToken = generateCsrfToken(req, res);
    next();
  };

  const protect: RequestHandler = (req, res, next) => {
    doubleCsrfProtection(req, res, (err?: unknown) => {
      if (err) return next(new AppError(403, 'csrf_failed', 'This form has expired. Go back, reload the page and try again.'));
      next();
    });
  };

  return { provideToken, protect };
}

export type Csrf = ReturnType<typeof createCsrf>;
