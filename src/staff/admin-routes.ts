import { Router, type Request, type Response } from 'express';
import type { Config } from '../config';
import type { Db } from '../db';
import { toDate } from '../db';
import { AppError } from '../errors';
import { formBody } from '../http/body';
import type { Csrf } from '../http/csrf';
import { actorOf, requireRole, staffOf } from '../http/staff-session';
import { fieldErrors } from '../http/validate';
import { renderConsole, setFlash } from '../console/render';
import { findStaffById } from './queries';
import { newStaff, STAFF_ROLES, staffRole } from './schema';
import { addStaff, changeStaffRole, disableStaff, enableStaff, listStaff } from './service';

/** The staff screen (admins only): accounts, adding one with a welcome link, roles, disabling. */
export function staffAdminRoutes(deps: { db: Db; config: Config; csrf: Csrf }): Router {
  const router = Router();
  const { db, csrf } = deps;
  const body = [...formBody('10kb'), csrf.protect, csrf.provideToken];
  router.use('/staff', requireRole('admin'));

  async function renderStaff(req: Request, res: Response, status: number, extra: Record<string, unknown>) {
    const staff = await listStaff(db);
    renderConsole(req, res, 'staff/views/staff.njk', {
      title: 'Staff',
      roles: STAFF_ROLES,
      staff: staff.map((s) => ({
        id: s.id,
        email: s.email,
        name: s.name,
        role: s.role,
        totp: Boolean(s.totp_secret),
        hasPassword: Boolean(s.password_hash),
        disabled: Boolean(s.disabled_at),
        lastLogin: toDate(s.last_login_at)?.toISOString().slice(0, 16).replace('T', ' ') ?? null,
      })),
      values: { role: 'editor' },
      errors: {},
      ...extra,
    }, status);
  }

  router.get('/staff', csrf.provideToken, (req, res) => renderStaff(req, res, 200, {}));

  router.post('/staff', ...body, async (req, res) => {
    const raw = req.body as Record<string, unknown>;
    const parsed = newStaff.safeParse({ ...raw, name: raw.name || undefined });
    if (!parsed.success) return renderStaff(req, res, 422, { values: raw, errors: fieldErrors(parsed.error) });
    try {
      const { staff, welcomeUrl } = await addStaff(deps, parsed.data, actorOf(res));
      await renderStaff(req, res, 201, { welcome: { email: staff.email, url: welcomeUrl } });
    } catch (err) {
      if (err instanceof AppError && err.code === 'staff_exists') return renderStaff(req, res, 409, { values: raw, errors: { email: err.message } });
      throw err;
    }
  });

  async function target(req: Request, res: Response) {
    const staff = await findStaffById(db, Number(req.params.id) || 0);
    if (!staff) throw new AppError(404, 'not_found', 'There is no such staff account.');
    if (staff.id === staffOf(res).id) throw new AppError(409, 'own_account', 'You cannot change your own account here.');
    return staff;
  }

  router.post('/staff/:id/disable', ...body, async (req, res) => {
    const staff = await target(req, res);
    await disableStaff(db, staff.email, actorOf(res));
    setFlash(res, `${staff.email} is disabled; their sessions and tokens have ended.`);
    res.redirect(303, '/admin/staff');
  });

  router.post('/staff/:id/enable', ...body, async (req, res) => {
    const staff = await target(req, res);
    await enableStaff(db, staff.id, actorOf(res));
    setFlash(res, `${staff.email} is enabled again.`);
    res.redirect(303, '/admin/staff');
  });

  router.post('/staff/:id/role', ...body, async (req, res) => {
    const staff = await target(req, res);
    const role = staffRole.safeParse((req.body as { role?: unknown }).role);
    if (!role.success) throw new AppError(422, 'validation_failed', 'The role must be admin, editor or judge.');
    await changeStaffRole(db, staff.id, role.data, actorOf(res));
    setFlash(res, `${staff.email} is now ${role.data === 'admin' ? 'an' : 'a'} ${role.data}.`);
    res.redirect(303, '/admin/staff');
  });

  return router;
}
