import { Router } from 'express';
import { ENTRY_STATUSES } from '../awards/schema';
import { listProgrammesWithEntryCounts } from '../awards/service';
import type { Db } from '../db';
import { listSendsInProgress } from '../delivery/queries';
import { listRecentDigests } from '../digests/queries';
import type { Csrf } from '../http/csrf';
import { requireRole } from '../http/staff-session';
import { countSubscribersByStatus } from '../subscribers/queries';
import { SUBSCRIBER_STATUSES } from '../subscribers/schema';
import { statusLabel, utcMinute } from './format';
import { renderConsole } from './render';
import { EDITORS } from './screens';

/** The dashboard (/admin): what is open, what is sending, who reads, what went out last. */
export function dashboardRoutes(deps: { db: Db; csrf: Csrf }): Router {
  const router = Router();
  const { db } = deps;

  router.get('/', requireRole(...EDITORS), deps.csrf.provideToken, async (req, res) => {
    const [programmes, sends, subscribers, digests] = await Promise.all([
      listProgrammesWithEntryCounts(db),
      listSendsInProgress(db),
      countSubscribersByStatus(db),
      listRecentDigests(db, 5),
    ]);
    renderConsole(req, res, 'console/views/dashboard.njk', {
      title: 'Dashboard',
      statuses: ENTRY_STATUSES.map((s) => ({ value: s, label: statusLabel(s) })),
      programmes: programmes
        .filter((p) => p.state === 'open')
        .map((p) => ({ slug: p.row.slug, name: p.row.name, deadline: p.deadline, closesAt: p.closesAt.toISOString(), entries: p.entries })),
      sends: sends.map((s) => ({
        id: s.id,
        subject: s.subject,
        topic: s.topic_name,
        status: s.status,
        test: Boolean(s.is_test),
        sent: Number(s.sent),
        recipients: s.recipients,
        startedAt: utcMinute(s.started_at),
      })),
      subscribers: SUBSCRIBER_STATUSES.map((status) => ({ status, count: subscribers.get(status) ?? 0 })),
      subscriberTotal: [...subscribers.values()].reduce((a, b) => a + b, 0),
      digests: digests.map((d) => ({
        id: d.id,
        subject: d.subject,
        topic: d.topic_name,
        status: d.status,
        test: Boolean(d.is_test),
        recipients: d.recipients,
        createdAt: utcMinute(d.created_at),
      })),
    });
  });
  return router;
}
