import type { RequestHandler, Response } from 'express';
import { recordAudit } from '../audit/service';
import type { Db } from '../db';
import type { Logger } from '../logger';
import type { StaffLocals } from './staff-session';

// Path segments that hold a person's address: never written to the log.
const PERSONAL_SEGMENT = /@/;

/**
 * For a POST that changes nothing (a preview) or writes its own, finer audit line: the
 * generic line below is then left out.
 */
export const skipGenericAudit = (res: Response) => {
  res.locals.skipGenericAudit = true;
};

/**
 * Every change (a POST, PATCH, PUT or DELETE that succeeded) under the mount point goes in
 * the audit log with its actor: entity from the first path segment, entity id from the
 * second, action from what follows (or the method). Features add finer lines of their own.
 */
export function auditChanges(db: Db, logger: Logger, options: { skip?: RegExp } = {}): RequestHandler {
  return (req, res, next) => {
    if (['GET', 'HEAD', 'OPTIONS'].includes(req.method) || options.skip?.test(req.path)) return next();
    const segments = req.path.split('/').filter(Boolean).map(decodedSegment);
    // The line is written before the response ends, so whoever reads the log after an answer finds it.
    const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
    res.end = ((...args: unknown[]) => {
      const actor = (res.locals as StaffLocals).actor;
      if (!actor || res.statusCode >= 400 || res.locals.skipGenericAudit) return end(...args);
      const [entity = 'console', id, ...rest] = segments;
      const verb = rest.length ? rest.join('.') : { POST: id ? 'update' : 'create', PATCH: 'update', PUT: 'update', DELETE: 'delete' }[req.method] ?? req.method.toLowerCase();
      const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
      const details: Record<string, unknown> = { status: res.statusCode };
      for (const key of ['status', 'role', 'topic']) if (typeof body[key] === 'string') details[key] = body[key];
      const entityId = id && !PERSONAL_SEGMENT.test(id) ? id : id ? '[address]' : null;
      recordAudit(db, actor, { action: `${entity}.${verb}`.slice(0, 60), entity: entity.slice(0, 40), entityId, details })
        .catch((err) => logger.error({ err: (err as Error).message, entity }, 'audit log write failed'))
        .finally(() => end(...args));
      return res;
    }) as typeof res.end;
    next();
  };
}

function decodedSegment(segment: string) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
