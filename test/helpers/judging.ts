import request from 'supertest';
import { receiptUrl } from '../../src/awards/service';
import type { TestApp } from './app';
import { localPath } from './app';
import { entryFields } from './factories';
import { submitForm, type Agent } from './staff';

/** Builders for judging tests, through the same API and console pages people use. */

const HOUR = 3_600_000;

/** A round open now, with two weighted criteria unless told otherwise. */
export const openRound = (overrides: Record<string, unknown> = {}) => ({
  name: 'First round',
  opensAt: new Date(Date.now() - HOUR).toISOString(),
  closesAt: new Date(Date.now() + 24 * HOUR).toISOString(),
  criteria: [
    { name: 'Innovation', weight: 2, min: 1, max: 10 },
    { name: 'Impact', description: 'Results for customers', weight: 1, min: 0, max: 5 },
  ],
  ...overrides,
});

export interface Round {
  id: number;
  criteria: { id: number; name: string; min: number; max: number }[];
}

export async function createRound(t: TestApp, programme: string, overrides: Record<string, unknown> = {}): Promise<Round> {
  const r = await t.admin('post', `/api/admin/awards/${programme}/rounds`).send(openRound(overrides));
  if (r.status !== 201) throw new Error(`round not created: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as Round;
}

/** An entry through the public JSON API; returns its reference. */
export async function enter(t: TestApp, programme: string, fields: Record<string, unknown>): Promise<string> {
  const r = await request(t.app).post(`/api/awards/${programme}/entries`).send({ ...entryFields(), ...fields, consent: true });
  if (r.status !== 201) throw new Error(`entry refused: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.reference as string;
}

/** The judge's scorecard form: one value per criterion (in the round's order), then save or submit. */
export function score(agent: Agent, round: Round, reference: string, values: (number | string)[], action: 'save' | 'submit' = 'submit', comment = '') {
  const page = `/admin/judging/${round.id}/${reference}`;
  const fields: Record<string, string> = { action, comment };
  round.criteria.forEach((c, i) => (fields[`c${c.id}`] = String(values[i] ?? '')));
  return submitForm(agent, page, page, fields);
}

/** The entrant's private receipt page, as the confirmation email links to it. */
export async function receiptPath(t: TestApp, programme: string, reference: string) {
  const entry = await t.db('entries').where({ reference }).first();
  return localPath(receiptUrl({ config: t.config }, programme, entry));
}
