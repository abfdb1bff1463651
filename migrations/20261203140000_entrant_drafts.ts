import type { Knex } from 'knex';

// Entrants: drafts (kept apart from entries, which hold only what was submitted, so review
// lists, counts and judging never see a draft), documents held for a form that came back or
// for a draft, one-use sign-in links for "my entries", and mail jobs about drafts and sign-ins.

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('entry_drafts', (t) => {
    t.increments('id');
    t.integer('programme_id').notNullable().references('programmes.id').onDelete('CASCADE');
    // 'draft', or 'submitted' once it became the entry named by entry_id.
    t.string('status', 12).notNullable();
    t.string('contact_email', 254).notNullable();
    // Lower-cased, for "my entries".
    t.string('contact_email_key', 254).notNullable();
    // The form's fields as typed (JSON): a draft need not be valid yet.
    t.text('fields').notNullable();
    // In the draft's private link; a new one ends every earlier link.
    t.string('nonce', 32).notNullable();
    t.integer('entry_id').references('entries.id').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['status', 'programme_id']);
    t.index(['contact_email_key']);
  });

  // A stored upload not (yet) on an entry: the form's, or a draft's (draft_id).
  await knex.schema.createTable('held_documents', (t) => {
    t.increments('id');
    t.string('storage_key', 64).notNullable().unique();
    t.string('original_name', 255).notNullable();
    t.string('content_type', 100).notNullable();
    t.integer('size_bytes').notNullable();
    t.integer('draft_id').references('entry_drafts.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['draft_id']);
    t.index(['created_at']);
  });

  await knex.schema.createTable('entrant_sign_ins', (t) => {
    t.increments('id');
    t.string('email_key', 254).notNullable();
    t.string('nonce', 32).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    // Set by the one request that used the link.
    t.timestamp('consumed_at', { useTz: true });
    t.index(['created_at']);
  });

  await knex.schema.alterTable('mail_jobs', (t) => {
    t.integer('draft_id').references('entry_drafts.id').onDelete('CASCADE');
    t.integer('sign_in_id').references('entrant_sign_ins.id').onDelete('CASCADE');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mail_jobs', (t) => {
    t.dropColumn('draft_id');
    t.dropColumn('sign_in_id');
  });
  for (const table of ['entrant_sign_ins', 'held_documents', 'entry_drafts']) await knex.schema.dropTableIfExists(table);
}
