import type { Knex } from 'knex';

// Judging: rounds with weighted criteria, the judges of each round, one scorecard per judge
// and entry, the scores on it, declared conflicts of interest; the programme's results
// release; fields an entrant keeps off the winners page; a unique key on mail jobs so a
// message meant once (a result email) can be queued only once.

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('judging_rounds', (t) => {
    t.increments('id');
    t.integer('programme_id').notNullable().references('programmes.id').onDelete('CASCADE');
    t.string('name', 200).notNullable();
    t.timestamp('opens_at', { useTz: true }).notNullable();
    t.timestamp('closes_at', { useTz: true }).notNullable();
    t.boolean('blind').notNullable().defaultTo(false);
    // 'entries' (submitted or under review) or 'shortlist' (a final round over the shortlisted).
    t.string('over', 10).notNullable().defaultTo('entries');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['programme_id']);
  });

  await knex.schema.createTable('judging_round_categories', (t) => {
    t.integer('round_id').notNullable().references('judging_rounds.id').onDelete('CASCADE');
    t.integer('category_id').notNullable().references('categories.id').onDelete('CASCADE');
    t.primary(['round_id', 'category_id']);
  });

  await knex.schema.createTable('judging_criteria', (t) => {
    t.increments('id');
    t.integer('round_id').notNullable().references('judging_rounds.id').onDelete('CASCADE');
    t.integer('position').notNullable();
    t.string('name', 120).notNullable();
    t.text('description');
    t.double('weight').notNullable();
    t.integer('min_score').notNullable();
    t.integer('max_score').notNullable();
    t.index(['round_id']);
  });

  // The round's panel: the judges it may hand entries to (also when one recuses).
  await knex.schema.createTable('judging_panel', (t) => {
    t.integer('round_id').notNullable().references('judging_rounds.id').onDelete('CASCADE');
    t.integer('staff_id').notNullable().references('staff_users.id').onDelete('CASCADE');
    t.primary(['round_id', 'staff_id']);
  });

  // One judge on one entry in one round: the assignment and its scorecard in one row.
  await knex.schema.createTable('judging_scorecards', (t) => {
    t.increments('id');
    t.integer('round_id').notNullable().references('judging_rounds.id').onDelete('CASCADE');
    t.integer('entry_id').notNullable().references('entries.id').onDelete('CASCADE');
    t.integer('staff_id').notNullable().references('staff_users.id').onDelete('CASCADE');
    t.string('status', 10).notNullable(); // assigned | draft | submitted
    t.text('comment');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.timestamp('submitted_at', { useTz: true });
    t.unique(['round_id', 'entry_id', 'staff_id']);
    t.index(['round_id', 'staff_id']);
    t.index(['entry_id']);
  });

  await knex.schema.createTable('judging_scores', (t) => {
    t.integer('scorecard_id').notNullable().references('judging_scorecards.id').onDelete('CASCADE');
    t.integer('criterion_id').notNullable().references('judging_criteria.id').onDelete('CASCADE');
    t.integer('value').notNullable();
    t.primary(['scorecard_id', 'criterion_id']);
  });

  // A conflict holds for the entry in every later round too, so it is keyed by entry and judge.
  await knex.schema.createTable('judging_conflicts', (t) => {
    t.increments('id');
    t.integer('round_id').notNullable().references('judging_rounds.id').onDelete('CASCADE');
    t.integer('entry_id').notNullable().references('entries.id').onDelete('CASCADE');
    t.integer('staff_id').notNullable().references('staff_users.id').onDelete('CASCADE');
    t.text('reason').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.unique(['entry_id', 'staff_id']);
    t.index(['round_id']);
  });

  await knex.schema.alterTable('programmes', (t) => {
    t.timestamp('results_release_at', { useTz: true });
    // Set by the one process that claimed the release (a conditional UPDATE).
    t.timestamp('results_released_at', { useTz: true });
  });

  await knex.schema.alterTable('entries', (t) => {
    // JSON array of field names (nominee, website) the winners page never shows.
    t.text('not_for_publication');
  });

  await knex.schema.alterTable('mail_jobs', (t) => {
    t.string('unique_key', 120).unique();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mail_jobs', (t) => t.dropColumn('unique_key'));
  await knex.schema.alterTable('entries', (t) => t.dropColumn('not_for_publication'));
  await knex.schema.alterTable('programmes', (t) => {
    t.dropColumn('results_release_at');
    t.dropColumn('results_released_at');
  });
  for (const table of ['judging_conflicts', 'judging_scores', 'judging_scorecards', 'judging_panel', 'judging_criteria', 'judging_round_categories', 'judging_rounds']) {
    await knex.schema.dropTableIfExists(table);
  }
}
