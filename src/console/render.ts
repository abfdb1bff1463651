import type { Request, Response } from 'express';
import type { StaffLocals } from '../http/staff-session';
import { toDate } from '../db';
import { navigationFor } from './screens';

/**
 * One-line messages after an action ("Staff account created"), carried to the next page in
 * a short-lived cookie and shown once.
 */
const FLASH_COOKIE = 'masthead.flash';

export interface Flash {
  kind: 'ok' | 'error';
  message: string;
}

export function setFlash(res: Response, message: string, kind: Flash['kind'] = 'ok') {
  res.cookie(FLASH_COOKIE, JSON.stringify({ kind, message: message.slice(0, 300) }), { httpOnly: true, sameSite: 'lax', path: '/admin', maxAge: 60_000 });
}

function takeFlash(req: Request, res: Response): Flash | null {
  const raw = req.cookies?.[FLASH_COOKIE];
  if (typeof raw !== 'string') return null;
  res.clearCookie(FLASH_COOKIE, { path: '/admin' });
  try {
    const parsed = JSON.parse(raw) as Flash;
    return typeof parsed.message === 'string' ? { kind: parsed.kind === 'error' ? 'error' : 'ok', message: parsed.message } : null;
  } catch {
    return null;
  }
}

/** Renders a console page with the navigation for the signed-in person's role and any flash message. */
export function renderConsole(req: Request, res: Response, view: string, data: Record<string, unknown> & { title: string }, status = 200) {
  const { staff } = res.locals as StaffLocals;
  res.set('Cache-Control', 'no-store');
  res.status(status).render(view, {
    ...data,
    me: staff ? { email: staff.email, name: staff.name, role: staff.role } : null,
    nav: staff ? navigationFor(staff.role, req.originalUrl.split('?')[0]) : [],
    flash: takeFlash(req, res),
  });
}

/** An instant as the console's tables show it: "2026-12-02 09:30" (UTC). */
export const utcMinute = (value: unknown): string | null => toDate(value)?.toISOString().slice(0, 16).replace('T', ' ') ?? null;

/** The filters of a list page as a query string without page, for the pagination links. */
export const filterQuery = (filters: Record<string, string | number | undefined | null>) =>
  new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => [k, String(v)])).toString();

export const pageCount = (total: number, pageSize: number) => Math.max(1, Math.ceil(total / pageSize));
