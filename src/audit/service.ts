import type { Knex } from 'knex';
import type { Db } from '../db';
import { toDate } from '../db';
import { insertAuditEntry, type AuditRow } from './queries';
import type { Actor } from './schema';

export interface AuditEvent {
  action: string;
  entity: string;
  entityId?: string | number | null;
  details?: Record<string, unknown>;
}

/** Adds one line to the audit log. Callers pass ids, never personal data of the public. */
export function recordAudit(db: Db | Knex.Transaction, actor: Actor, event: AuditEvent, now = new Date()) {
  return insertAuditEntry(db, {
    created_at: now,
    actor_type: actor.type,
    actor_id: actor.staffId,
    actor_label: actor.label,
    action: event.action,
    entity: event.entity,
    entity_id: event.entityId === undefined || event.entityId === null ? null : String(event.entityId),
    details: event.details && Object.keys(event.details).length ? JSON.stringify(event.details) : null,
  });
}

export function auditView(row: AuditRow) {
  return {
    id: row.id,
    at: toDate(row.created_at)?.toISOString() ?? null,
    actor: { type: row.actor_type, id: row.actor_id, label: row.actor_label },
    action: row.action,
    entity: row.entity,
    entityId: row.entity_id,
    details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null,
  };
}
