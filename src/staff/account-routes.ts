import { createHmac } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { Config } from '../config';
import type { Db } from '../db';
import { toDate } from '../db';
import { formBody } from '../http/body';
import type { Csrf } from '../http/csrf';
import { sessionCookie, staffOf } from '../http/staff-session';
import { fieldErrors } from '../http/validate';
import { renderConsole, setFlash } from '../console/render';
import { deleteSessionsOf, findStaffById, listApiTokensOf } from './queries';
import { apiTokenName, codeForm, newPassword } from './schema';
import { createApiToken, disableTotp, enableTotp, revokeOwnApiToken, setStaffPassword, staffActor, verifyCurrentPassword } from './service';
import { startSession } from './sessions';
import { safeEqual } from '../tokens';
import { recordAudit } from '../audit/service';
import { matchTotp, newRecoveryCodes, newTotpSecret, totpQrSvg, totpUri } from './totp';

const when = (value: unknown) => toDate(value)?.toISOString().slice(0, 16).replace('T', ' ') ?? null;

/** My account: password, two-step sign-in, personal API tokens, signing out everywhere. Any role. */
export function accountRoutes(deps: { db: Db; config: Config; csrf: Csrf }): Router {
  const router = Router();
  const { db, config, csrf } = deps;
  const cookie = sessionCookie(config.baseUrl.startsWith('https:'));
  const body = [...formBody('10kb'), csrf.protect, csrf.provideToken];
  // The secret offered for set-up travels in the form, signed, so the server keeps no half-done state.
  const signSecret = (staffId: number, secret: string) => createHmac('sha256', config.secret).update(`totp-setup:${staffId}:${secret}`).digest('hex');

  async function renderAccount(req: Request, res: Response, status = 200, extra: Record<string, unknown> = {}) {
    const staff = staffOf(res);
    const tokens = await listApiTokensOf(db, staff.id);
    renderConsole(req, res, 'staff/views/account.njk', {
      title: 'My account',
      totpEnabled: Boolean(staff.totp_secret),
      recoveryLeft: staff.recovery_codes ? (JSON.parse(staff.recovery_codes) as string[]).length : 0,
      tokens: tokens.map((t) => ({ id: t.id, name: t.name, prefix: t.prefix, created: when(t.created_at), lastUsed: when(t.last_used_at) })),
      errors: {},
      ...extra,
    }, status);
  }

  router.get('/account', csrf.provideToken, (req, res) => renderAccount(req, res));

  const passwordPage = (req: Request, res: Response, status: number, errors: Record<string, string>) =>
    renderConsole(req, res, 'staff/views/set-password.njk', {
      title: 'Change my password',
      intro: 'Your new password signs you out on every other device.',
      action: '/admin/account/password',
      button: 'Change password',
      askCurrent: true,
      errors,
    }, status);

  router.get('/account/password', csrf.provideToken, (req, res) => passwordPage(req, res, 200, {}));

  router.post('/account/password', ...body, async (req, res) => {
    const staff = staffOf(res);
    const current = String((req.body as { current?: unknown }).current ?? '');
    const parsed = newPassword.safeParse(req.body);
    const errors = parsed.success ? {} : fieldErrors(parsed.error);
    if (!(await verifyCurrentPassword(staff, current))) errors.current = 'This is not your current password.';
    if (!parsed.success || errors.current) return passwordPage(req, res, 422, errors);
    await setStaffPassword(db, staff, parsed.data.password, staffActor(staff));
    res.cookie(cookie.name, await startSession(db, staff.id, 'full'), cookie.options);
    setFlash(res, 'Your password is changed. Other devices are signed out.');
    res.redirect(303, '/admin/account');
  });

  async function setupPage(req: Request, res: Response, status: number, secret: string, error = '') {
    const staff = staffOf(res);
    const uri = totpUri(secret, staff.email, config.orgName);
    renderConsole(req, res, 'staff/views/totp-setup.njk', {
      title: 'Set up two-step sign-in',
      secret,
      signature: signSecret(staff.id, secret),
      qrSvg: await totpQrSvg(uri),
      error,
    }, status);
  }

  router.get('/account/totp', csrf.provideToken, async (req, res) => {
    if (staffOf(res).totp_secret) return res.redirect(303, '/admin/account');
    await setupPage(req, res, 200, newTotpSecret());
  });

  router.post('/account/totp', ...body, async (req, res) => {
    const staff = staffOf(res);
    const { secret, signature } = req.body as { secret?: unknown; signature?: unknown };
    if (typeof secret !== 'string' || typeof signature !== 'string' || !safeEqual(signature, signSecret(staff.id, secret)) || !/^[A-Z2-7]{16,128}$/.test(secret)) {
      return setupPage(req, res, 422, newTotpSecret(), 'The set-up expired. Scan this new code and try again.');
    }
    const step = await matchTotp(secret, codeForm.parse(req.body).code);
    if (step === null) return setupPage(req, res, 422, secret, 'That code did not work. Check the time on your phone and type the newest code.');
    const { codes, hashes } = newRecoveryCodes();
    await enableTotp(db, staff, secret, hashes, step);
    renderConsole(req, res, 'staff/views/totp-setup.njk', { title: 'Two-step sign-in is on', codes });
  });

  router.post('/account/totp/disable', ...body, async (req, res) => {
    const staff = staffOf(res);
    if (!(await verifyCurrentPassword(staff, String((req.body as { password?: unknown }).password ?? '')))) {
      setFlash(res, 'Two-step sign-in is still on: that was not your password.', 'error');
      return res.redirect(303, '/admin/account');
    }
    await disableTotp(db, staff);
    setFlash(res, 'Two-step sign-in is off.');
    res.redirect(303, '/admin/account');
  });

  router.post('/account/tokens', ...body, async (req, res) => {
    const staff = staffOf(res);
    const parsed = apiTokenName.safeParse(req.body);
    if (!parsed.success) return renderAccount(req, res, 422, { errors: fieldErrors(parsed.error) });
    const { token } = await createApiToken(db, staff, parsed.data.name);
    await renderAccount(req, res, 201, { newToken: { name: parsed.data.name, token } });
  });

  router.post('/account/tokens/:id/revoke', ...body, async (req, res) => {
    const revoked = await revokeOwnApiToken(db, staffOf(res), Number(req.params.id) || 0);
    setFlash(res, revoked ? 'The token is revoked.' : 'There is no such token.', revoked ? 'ok' : 'error');
    res.redirect(303, '/admin/account');
  });

  router.post('/account/sign-out-everywhere', ...body, async (_req, res) => {
    const staff = (await findStaffById(db, staffOf(res).id))!;
    await deleteSessionsOf(db, staff.id);
    await recordAudit(db, staffActor(staff), { action: 'staff.signed_out_everywhere', entity: 'staff', entityId: staff.id });
    res.clearCookie(cookie.name, { path: '/' });
    setFlash(res, 'You are signed out everywhere.');
    res.redirect(303, '/admin/login');
  });

  return router;
}
