import type { Knex } from 'knex';

// Digest schedules: a cron expression in an IANA zone over one or more topics, with its next
// occurrence stored (the runner reads it; no timer holds it), and one row per occurrence
// handled, unique per schedule and occurrence, so exactly one process runs each.

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('schedules', (t) => {
    t.increments('id');
    t.string('cron', 120).notNullable();
    t.string('time_zone', 64).notNullable();
    t.integer('article_limit');
    t.string('subject', 400);
    t.timestamp('next_run_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['next_run_at']);
  });

  await knex.schema.createTable('schedule_topics', (t) => {
    t.integer('schedule_id').notNullable().references('schedules.id').onDelete('CASCADE');
    t.integer('topic_id').notNullable().references('topics.id');
    t.integer('position').notNullable();
    t.primary(['schedule_id', 'topic_id']);
    t.index(['topic_id']);
  });

  await knex.schema.createTable('schedule_runs', (t) => {
    t.increments('id');
    t.integer('schedule_id').notNullable().references('schedules.id').onDelete('CASCADE');
    t.timestamp('occurrence_at', { useTz: true }).notNullable();
    // running | sent | skipped | missed | failed
    t.string('outcome', 10).notNullable();
    t.string('digest_id', 32).references('digests.id').onDelete('SET NULL');
    t.text('reason');
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('finished_at', { useTz: true });
    t.unique(['schedule_id', 'occurrence_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['schedule_runs', 'schedule_topics', 'schedules']) await knex.schema.dropTableIfExists(table);
}
