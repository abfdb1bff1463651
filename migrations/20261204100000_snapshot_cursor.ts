import type { Knex } from 'knex';

// A digest's recipients are written in ranges of subscriber ids rather than in one
// statement, so the trigger can answer at once for a million readers: `snapshot_after` is
// the last subscriber id already written (null once every range is), `snapshot_until` the
// highest subscriber id when the digest was triggered (later sign-ups are not recipients).
// A range and the cursor's move commit together, so a crash repeats or loses no range.

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('digests', (t) => {
    t.bigInteger('snapshot_after');
    t.bigInteger('snapshot_until');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('digests', (t) => {
    t.dropColumn('snapshot_after');
    t.dropColumn('snapshot_until');
  });
}
