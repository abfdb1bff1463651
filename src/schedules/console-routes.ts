import { Router, type Request, type Response } from 'express';
import { formatInZone, timeZones } from '../awards/time';
import { renderConsole, setFlash, utcMinute } from '../console/render';
import { EDITORS } from '../console/screens';
import type { Db } from '../db';
import { AppError } from '../errors';
import { formBody } from '../http/body';
import type { Csrf } from '../http/csrf';
import { pageQuery } from '../http/listing';
import { requireRole } from '../http/staff-session';
import { fieldErrors, parseInput } from '../http/validate';
import { listTopics } from '../topics/queries';
import { CRON_HELP } from './occurrences';
import { scheduleIdParam, scheduleInput } from './schema';
import { createSchedule, getSchedule, listRunsOfSchedule, listSchedules, removeSchedule, updateScheduleById, type ScheduleView } from './service';

const labels = { topics: 'Topics', cron: 'When (cron)', timeZone: 'Time zone', limit: 'Most articles', subject: 'Subject' };
const RECENT_RUNS = 20;

interface FormValues {
  topics: string[];
  cron: string;
  timeZone: string;
  limit: string;
  subject: string;
}

const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

/** The form as typed: checkboxes arrive as one value or a list. */
function formValues(body: Record<string, unknown>): FormValues {
  const topics = Array.isArray(body.topics) ? body.topics.map(text) : body.topics === undefined ? [] : [text(body.topics)];
  return { topics: topics.filter(Boolean), cron: text(body.cron), timeZone: text(body.timeZone), limit: text(body.limit), subject: text(body.subject) };
}

/** The form's values as the API's JSON, checked by the schema of POST /api/admin/schedules. */
const inputFrom = (v: FormValues) =>
  scheduleInput.safeParse({
    topics: v.topics,
    cron: v.cron,
    timeZone: v.timeZone,
    limit: v.limit ? (/^\d+$/.test(v.limit) ? Number(v.limit) : v.limit) : null,
    subject: v.subject || null,
  });

const valuesOf = (s: ScheduleView): FormValues => ({ topics: s.topics, cron: s.cron, timeZone: s.timeZone, limit: s.limit ? String(s.limit) : '', subject: s.subject ?? '' });

/** A schedule as the list shows it: the next run on the schedule's own clock. */
const listed = (s: ScheduleView) => ({ ...s, next: formatInZone(new Date(s.nextRunAt), s.timeZone), lastAt: s.lastRun ? formatInZone(new Date(s.lastRun.at), s.timeZone) : null });

/**
 * The Schedules screen (editors and admins): the schedules with their next and last runs, a
 * form to add or change one (the same rules as the admin API), and removal behind a
 * confirmation page, so every action works without JavaScript.
 */
export function scheduleConsoleRoutes(deps: { db: Db; csrf: Csrf }): Router {
  const router = Router();
  const { db, csrf } = deps;
  const form = [...formBody('10kb'), csrf.protect, csrf.provideToken];
  const idOf = (req: Request) => parseInput(scheduleIdParam, req.params).id;
  router.use('/schedules', requireRole(...EDITORS));

  router.get('/schedules', async (req, res) => {
    const { page, pageSize } = parseInput(pageQuery, req.query);
    const list = await listSchedules(db, { page, pageSize });
    renderConsole(req, res, 'schedules/views/console-schedules.njk', {
      title: 'Schedules',
      items: list.items.map(listed),
      total: list.total,
      page,
      pages: Math.max(1, Math.ceil(list.total / pageSize)),
      pageQuery: '',
    });
  });

  async function renderForm(req: Request, res: Response, status: number, page: { schedule?: ScheduleView; values: FormValues; errors: Record<string, string> }) {
    const runs = page.schedule ? (await listRunsOfSchedule(db, page.schedule.id, { page: 1, pageSize: RECENT_RUNS })).items : [];
    renderConsole(req, res, 'schedules/views/console-schedule-form.njk', {
      title: page.schedule ? 'Edit schedule' : 'New schedule',
      action: page.schedule ? `/admin/schedules/${page.schedule.id}` : '/admin/schedules',
      topics: await listTopics(db),
      zones: timeZones(),
      labels,
      cronHelp: CRON_HELP,
      next: page.schedule ? formatInZone(new Date(page.schedule.nextRunAt), page.schedule.timeZone) : null,
      runs: runs.map((r) => ({ ...r, at: page.schedule ? formatInZone(new Date(r.occurrenceAt), page.schedule.timeZone) : utcMinute(r.occurrenceAt) })),
      ...page,
    }, status);
  }

  /** Saves through the service; a field error (the schema's, or an unknown topic) re-renders the form with 422. */
  async function saving(req: Request, res: Response, save: (input: NonNullable<ReturnType<typeof inputFrom>['data']>) => Promise<ScheduleView>, schedule?: ScheduleView) {
    const values = formValues(req.body as Record<string, unknown>);
    const parsed = inputFrom(values);
    if (!parsed.success) return renderForm(req, res, 422, { schedule, values, errors: fieldErrors(parsed.error) });
    try {
      const saved = await save(parsed.data);
      setFlash(res, `Schedule saved. Next run: ${formatInZone(new Date(saved.nextRunAt), saved.timeZone)}.`);
      res.redirect(303, '/admin/schedules');
    } catch (err) {
      if (!(err instanceof AppError && err.fields)) throw err;
      await renderForm(req, res, 422, { schedule, values, errors: err.fields });
    }
  }

  router.get('/schedules/new', csrf.provideToken, (req, res) =>
    renderForm(req, res, 200, { values: { topics: [], cron: '0 7 * * 1-5', timeZone: 'Europe/London', limit: '', subject: '' }, errors: {} }),
  );

  router.post('/schedules', ...form, (req, res) => saving(req, res, (input) => createSchedule(db, input)));

  router.get('/schedules/:id', csrf.provideToken, async (req, res) => {
    const schedule = await getSchedule(db, idOf(req));
    await renderForm(req, res, 200, { schedule, values: valuesOf(schedule), errors: {} });
  });

  router.post('/schedules/:id', ...form, async (req, res) => {
    const schedule = await getSchedule(db, idOf(req));
    await saving(req, res, (input) => updateScheduleById(db, schedule.id, input), schedule);
  });

  router.get('/schedules/:id/delete', csrf.provideToken, async (req, res) => {
    const schedule = await getSchedule(db, idOf(req));
    renderConsole(req, res, 'schedules/views/console-schedule-delete.njk', { title: 'Delete this schedule?', schedule: listed(schedule) });
  });

  router.post('/schedules/:id/delete', ...form, async (req, res) => {
    await removeSchedule(db, idOf(req));
    setFlash(res, 'The schedule is deleted; no more digests go out on it. Digests it sent are kept.');
    res.redirect(303, '/admin/schedules');
  });

  return router;
}
