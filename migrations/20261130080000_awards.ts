import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('programmes', (t) => {
    t.increments('id');
    t.string('slug', 80).notNullable().unique();
    t.string('code', 12).notNullable().unique();
    t.string('name', 200).notNullable();
    t.text('description').notNullable();
    t.timestamp('opens_at', { useTz: true }).notNullable();
    t.timestamp('closes_at', { useTz: true }).notNullable();
    t.string('time_zone', 64).notNullable();
    t.integer('statement_min_words').notNullable();
    t.integer('statement_max_words').notNullable();
    // The last reference number handed out; bumped inside the entry's transaction.
    t.integer('entry_sequence').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('categories', (t) => {
    t.increments('id');
    t.integer('programme_id').notNullable().references('programmes.id').onDelete('CASCADE');
    t.string('slug', 80).notNullable();
    t.string('name', 200).notNullable();
    t.text('description').notNullable();
    t.string('region', 80);
    t.integer('position').notNullable().defaultTo(0);
    t.unique(['programme_id', 'slug']);
  });

  await knex.schema.createTable('entries', (t) => {
    t.increments('id');
    t.integer('programme_id').notNullable().references('programmes.id');
    t.integer('category_id').notNullable().references('categories.id');
    t.string('reference', 24).notNullable().unique();
    t.string('status', 20).notNullable();
    t.string('organisation', 200).notNullable();
    // Lower-cased, spaces folded: one organisation enters a category once.
    t.string('organisation_key', 200).notNullable();
    t.string('nominee', 200);
    t.string('country', 2).notNullable();
    t.string('website', 500).notNullable();
    t.string('contact_name', 120).notNullable();
    t.string('job_title', 120).notNullable();
    t.string('contact_email', 254).notNullable();
    t.string('contact_phone', 40);
    t.text('statement').notNullable();
    t.string('source', 10).notNullable();
    // The form's one-time id: a second POST of the same form finds this entry instead of making another.
    t.string('submission_id', 64).unique();
    t.string('receipt_nonce', 32).notNullable();
    t.timestamp('consent_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.unique(['programme_id', 'category_id', 'organisation_key']);
    t.index(['programme_id', 'status']);
  });

  await knex.schema.createTable('entry_documents', (t) => {
    t.increments('id');
    t.integer('entry_id').notNullable().references('entries.id').onDelete('CASCADE');
    // Random and unguessable: the file's name on disk and in its admin URL.
    t.string('storage_key', 64).notNullable().unique();
    t.string('original_name', 255).notNullable();
    t.string('content_type', 100).notNullable();
    t.integer('size_bytes').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('entry_status_changes', (t) => {
    t.increments('id');
    t.integer('entry_id').notNullable().references('entries.id').onDelete('CASCADE');
    t.string('from_status', 20);
    t.string('to_status', 20).notNullable();
    t.text('note');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['entry_id']);
  });

  await knex.schema.alterTable('mail_jobs', (t) => {
    t.integer('entry_id').references('entries.id').onDelete('CASCADE');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mail_jobs', (t) => t.dropColumn('entry_id'));
  for (const table of ['entry_status_changes', 'entry_documents', 'entries', 'categories', 'programmes']) {
    await knex.schema.dropTableIfExists(table);
  }
}
