import type { Knex } from 'knex';
import type { Db } from '../db';

/** The audit log's SQL. Rows are only ever added. */

export interface AuditRow {
  id: number;
  created_at: unknown;
  actor_type: string;
  actor_id: number | null;
  actor_label: string;
  action: string;
  entity: string;
  entity_id: string | null;
  details: string | null;
}

export interface AuditFilter {
  entity?: string;
  entityId?: string;
  /** The actor's label (an address, "operator token") or part of it. */
  actor?: string;
}

type Conn = Db | Knex.Transaction;

export function insertAuditEntry(db: Conn, row: Omit<AuditRow, 'id'>) {
  return db('audit_log').insert(row);
}

function filtered(db: Conn, filter: AuditFilter) {
  const query = db('audit_log');
  if (filter.entity) query.where('entity', filter.entity);
  if (filter.entityId) query.where('entity_id', filter.entityId);
  if (filter.actor) query.whereRaw('lower(actor_label) like ?', [`%${filter.actor.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c)}%`]);
  return query;
}

export async function countAuditEntries(db: Conn, filter: AuditFilter): Promise<number> {
  const row = await filtered(db, filter).count<{ n: number | string }[]>({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

export function listAuditEntries(db: Conn, filter: AuditFilter, offset: number, limit: number): Promise<AuditRow[]> {
  return filtered(db, filter).orderBy('id', 'desc').offset(offset).limit(limit);
}
