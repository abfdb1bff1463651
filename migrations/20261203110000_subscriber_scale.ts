import type { Knex } from 'knex';

// Indexes for a list of a million subscribers. (status, id) replaces (status): a status
// filter then reads its ids in order, so the admin list's page and its count come from the
// index alone. On PostgreSQL, trigram indexes let the list's "part of the address or name"
// search (LIKE '%…%') skip the table scan; pg_trgm is a trusted extension, and where it
// cannot be installed the search still works, by scanning.

const isPostgres = (knex: Knex) => knex.client.config.client === 'pg';

/** The schema pg_trgm is in, installing it (in public) if it is missing; null if it cannot be. */
async function trigramSchema(knex: Knex): Promise<string | null> {
  const find = async () => (await knex.raw(`select n.nspname as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_trgm'`)).rows[0]?.schema ?? null;
  const found = await find();
  if (found) return found;
  try {
    // A savepoint: a refused CREATE EXTENSION must not abort the migration's transaction.
    await knex.transaction((trx) => trx.raw('create extension if not exists pg_trgm schema public'));
  } catch {
    // Not allowed here, or another process created it at the same moment.
  }
  return find();
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('subscribers', (t) => {
    t.dropIndex(['status']);
    t.index(['status', 'id']);
  });
  if (!isPostgres(knex)) return;
  const schema = await trigramSchema(knex);
  if (!schema) return;
  await knex.raw(`create index subscribers_email_trigram_index on subscribers using gin (email "${schema}".gin_trgm_ops)`);
  await knex.raw(`create index subscribers_name_trigram_index on subscribers using gin (lower(name) "${schema}".gin_trgm_ops)`);
}

export async function down(knex: Knex): Promise<void> {
  if (isPostgres(knex)) {
    await knex.raw('drop index if exists subscribers_email_trigram_index');
    await knex.raw('drop index if exists subscribers_name_trigram_index');
  }
  await knex.schema.alterTable('subscribers', (t) => {
    t.dropIndex(['status', 'id']);
    t.index(['status']);
  });
}
