import type { Knex } from 'knex';

/**
 * Recomputes entries.organisation_key with the stricter rule: NFKC, invisible characters
 * removed, case folded, spaces collapsed, so "Acme\u200bBank" and fullwidth "Ａｃｍｅ Bank"
 * count as the organisation they look like. The rule is copied from src/awards/service.ts
 * as it was when this was written: a migration must go on doing what it did.
 *
 * Where two existing entries of a category now share a key, the oldest keeps it and each
 * later one gets "#<id>" appended: both stay (nothing is deleted, an admin decides), and
 * a new entry under that name still counts as a duplicate of the oldest.
 */

const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;
const organisationKey = (name: string) =>
  name.normalize('NFKC').replace(INVISIBLE, '').toUpperCase().toLowerCase().normalize('NFKC').replace(/\s+/g, ' ').trim();

export async function up(knex: Knex): Promise<void> {
  // NFKC can lengthen a name (one character may become several); SQLite keeps any length anyway.
  if (knex.client.config.client === 'pg') await knex.raw('alter table entries alter column organisation_key type text');

  const rows: { id: number; programme_id: number; category_id: number; organisation: string; organisation_key: string }[] = await knex('entries')
    .select('id', 'programme_id', 'category_id', 'organisation', 'organisation_key')
    .orderBy('id');
  const taken = new Set<string>();
  const changes: { id: number; key: string }[] = [];
  for (const row of rows) {
    let key = organisationKey(row.organisation);
    if (taken.has(`${row.programme_id}/${row.category_id}/${key}`)) key = `${key}#${row.id}`;
    taken.add(`${row.programme_id}/${row.category_id}/${key}`);
    if (key !== row.organisation_key) changes.push({ id: row.id, key });
  }
  // Two passes: a row's new key may still be another row's old one until that row has moved too.
  for (const { id } of changes) await knex('entries').where({ id }).update({ organisation_key: `#moving#${id}` });
  for (const { id, key } of changes) await knex('entries').where({ id }).update({ organisation_key: key });
}

// Forward-only: the old keys are not worth restoring; the stricter key suits the old code too.
export async function down(): Promise<void> {}
