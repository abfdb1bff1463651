import { Router } from 'express';
import type { Db } from '../db';
import { pageQuery } from '../http/listing';
import { requireRole } from '../http/staff-session';
import { parseQuery } from '../http/validate';
import { renderConsole } from '../console/render';
import { countAuditEntries, listAuditEntries } from './queries';
import { auditQuery } from './schema';
import { auditView } from './service';

const query = auditQuery.extend(pageQuery.shape);

async function auditPage(db: Db, input: unknown) {
  const q = parseQuery(query, input);
  const filter = { entity: q.entity || undefined, entityId: q.entityId || undefined, actor: q.actor || undefined };
  const [total, rows] = await Promise.all([countAuditEntries(db, filter), listAuditEntries(db, filter, (q.page - 1) * q.pageSize, q.pageSize)]);
  return { filter, total, page: q.page, pageSize: q.pageSize, items: rows.map(auditView) };
}

/** GET /api/admin/audit?entity=&entityId=&actor= (admins): who changed what, newest first. */
export function auditAdminRoutes(deps: { db: Db }): Router {
  const router = Router();
  router.get('/audit', requireRole('admin'), async (req, res) => {
    const { items, total, page, pageSize } = await auditPage(deps.db, req.query);
    res.json({ items, total, page, pageSize });
  });
  return router;
}

/** The console's audit log page (admins). */
export function auditConsoleRoutes(deps: { db: Db }): Router {
  const router = Router();
  router.get('/audit', requireRole('admin'), async (req, res) => {
    const result = await auditPage(deps.db, req.query);
    const pageQueryString = new URLSearchParams(Object.entries(result.filter).filter(([, v]) => v) as [string, string][]).toString();
    renderConsole(req, res, 'audit/views/audit.njk', {
      title: 'Audit log',
      ...result,
      pages: Math.max(1, Math.ceil(result.total / result.pageSize)),
      pageQuery: pageQueryString,
    });
  });
  return router;
}
