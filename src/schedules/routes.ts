import { Router } from 'express';
import type { Db } from '../db';
import { jsonBody } from '../http/body';
import { parseInput, parseQuery } from '../http/validate';
import { scheduleIdParam, scheduleInput, scheduleListQuery, schedulePatch } from './schema';
import { createSchedule, getSchedule, listRunsOfSchedule, listSchedules, removeSchedule, updateScheduleById } from './service';

/** Digest schedules for admins and editors (mounted under /api/admin; the generic audit trail records each change). */
export function scheduleAdminRoutes(deps: { db: Db }): Router {
  const router = Router();
  const { db } = deps;
  const idOf = (params: unknown) => parseInput(scheduleIdParam, params).id;

  router.post('/schedules', ...jsonBody(), async (req, res) => {
    res.status(201).json(await createSchedule(db, parseInput(scheduleInput, req.body)));
  });

  router.get('/schedules', async (req, res) => {
    res.json(await listSchedules(db, parseQuery(scheduleListQuery, req.query)));
  });

  router.get('/schedules/:id', async (req, res) => {
    res.json(await getSchedule(db, idOf(req.params)));
  });

  router.get('/schedules/:id/runs', async (req, res) => {
    res.json(await listRunsOfSchedule(db, idOf(req.params), parseQuery(scheduleListQuery, req.query)));
  });

  router.patch('/schedules/:id', ...jsonBody(), async (req, res) => {
    res.json(await updateScheduleById(db, idOf(req.params), parseInput(schedulePatch, req.body)));
  });

  router.delete('/schedules/:id', async (req, res) => {
    await removeSchedule(db, idOf(req.params));
    res.status(204).end();
  });

  return router;
}
