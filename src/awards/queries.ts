import type { Knex } from 'knex';
import type { Db } from '../db';

/** The awards' SQL, one named function per statement. */

type Conn = Db | Knex.Transaction;

export interface ProgrammeRow {
  id: number;
  slug: string;
  code: string;
  name: string;
  description: string;
  opens_at: unknown;
  closes_at: unknown;
  time_zone: string;
  statement_min_words: number;
  statement_max_words: number;
  entry_sequence: number;
  created_at: unknown;
  updated_at: unknown;
}

export interface CategoryRow {
  id: number;
  programme_id: number;
  slug: string;
  name: string;
  description: string;
  region: string | null;
  position: number;
}

/** Programmes taking entries at `now`, soonest deadline first (also used by the digest's call-for-entries block). */
export function listOpenProgrammes(db: Conn, now = new Date()): Promise<ProgrammeRow[]> {
  return db('programmes').where('opens_at', '<=', now).where('closes_at', '>', now).orderBy('closes_at').orderBy('id');
}
