import { z } from 'zod';
import type { StaffRole } from '../staff/schema';

/** Who made a change: a signed-in staff member, one of their API tokens, or the operator's ADMIN_TOKEN. */
export interface Actor {
  type: 'staff' | 'token' | 'operator' | 'system' | 'entrant';
  staffId: number | null;
  /** What the log shows: the staff member's address, "operator token", or "system". */
  label: string;
  role: StaffRole;
}

export const OPERATOR: Actor = Object.freeze({ type: 'operator', staffId: null, label: 'operator token', role: 'admin' });
export const SYSTEM: Actor = Object.freeze({ type: 'system', staffId: null, label: 'system', role: 'admin' });

export const auditQuery = z
  .object({
    entity: z.string().trim().max(40).optional(),
    entityId: z.string().trim().max(120).optional(),
    actor: z.string().trim().max(254).optional(),
  });
