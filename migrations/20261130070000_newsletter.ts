import type { Knex } from 'knex';

// Timestamps are written by the application as Date values (never database defaults), so
// SQLite (epoch milliseconds) and PostgreSQL (timestamptz) compare them the same way.

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('topics', (t) => {
    t.increments('id');
    t.string('slug', 40).notNullable().unique();
    t.string('name', 80).notNullable();
    t.integer('position').notNullable().defaultTo(0);
  });

  await knex.schema.createTable('subscribers', (t) => {
    t.increments('id');
    t.string('email', 254).notNullable().unique();
    t.string('name', 120);
    t.string('status', 20).notNullable();
    // Rotated at every change of status, so links issued before it stop working.
    t.string('token_nonce', 32).notNullable();
    t.timestamp('consent_at', { useTz: true }).notNullable();
    t.string('consent_version', 40).notNullable();
    t.string('consent_source', 20).notNullable();
    t.text('consent_note');
    t.timestamp('confirmation_sent_at', { useTz: true });
    t.timestamp('confirmed_at', { useTz: true });
    t.timestamp('unsubscribed_at', { useTz: true });
    t.timestamp('bounced_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['status']);
  });

  await knex.schema.createTable('subscriber_topics', (t) => {
    t.integer('subscriber_id').notNullable().references('subscribers.id').onDelete('CASCADE');
    t.integer('topic_id').notNullable().references('topics.id').onDelete('CASCADE');
    t.primary(['subscriber_id', 'topic_id']);
    t.index(['topic_id', 'subscriber_id']);
  });

  // What the law lets us keep of an erased person: a hash of the address, so that an
  // import can never re-add them without a new opt-in.
  await knex.schema.createTable('suppressions', (t) => {
    t.string('email_hash', 64).primary();
    t.string('reason', 20).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
  });

  // Transactional mail waiting to go out. Rows name what to send, not its content, so no
  // personal data sits here and erasing a subscriber cascades to their jobs.
  await knex.schema.createTable('mail_jobs', (t) => {
    t.increments('id');
    t.string('kind', 40).notNullable();
    t.integer('subscriber_id').references('subscribers.id').onDelete('CASCADE');
    t.string('status', 20).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('run_after', { useTz: true }).notNullable();
    t.timestamp('locked_until', { useTz: true });
    t.text('last_error');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('sent_at', { useTz: true });
    t.index(['status', 'run_after']);
  });

  const topics = ['Finance', 'Banking', 'Fintech', 'Investing', 'Insurance'];
  await knex('topics').insert(topics.map((name, position) => ({ slug: name.toLowerCase(), name, position })));
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['mail_jobs', 'suppressions', 'subscriber_topics', 'subscribers', 'topics']) {
    await knex.schema.dropTableIfExists(table);
  }
}
