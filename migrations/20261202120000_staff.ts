import type { Knex } from 'knex';

// Staff accounts, their sessions and API tokens, and the audit log of changes made by them
// (or by the operator token). Timestamps are written by the application as Date values.

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('staff_users', (t) => {
    t.increments('id');
    t.string('email', 254).notNullable().unique();
    t.string('name', 120);
    t.string('role', 10).notNullable();
    t.text('password_hash');
    // Rotated when the password changes, so welcome and reset links issued before stop working.
    t.string('token_nonce', 32).notNullable();
    t.text('totp_secret');
    // The last TOTP time step accepted, so one code cannot be used twice.
    t.bigInteger('totp_last_step');
    // JSON array of SHA-256 hashes of the unused recovery codes.
    t.text('recovery_codes');
    t.timestamp('locked_until', { useTz: true });
    t.timestamp('disabled_at', { useTz: true });
    t.timestamp('last_login_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('staff_sessions', (t) => {
    // SHA-256 of the cookie's value: a copy of the table cannot be replayed as cookies.
    t.string('id', 64).primary();
    t.integer('staff_id').notNullable().references('staff_users.id').onDelete('CASCADE');
    // 'password' until the second factor is given, then 'full'.
    t.string('stage', 10).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('last_seen_at', { useTz: true }).notNullable();
    t.index(['staff_id']);
  });

  // One row per failed sign-in, keyed by an HMAC of the address typed (known or not), so a
  // lockout looks the same whether or not the account exists.
  await knex.schema.createTable('staff_login_failures', (t) => {
    t.increments('id');
    t.string('account_key', 64).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['account_key', 'created_at']);
  });

  await knex.schema.createTable('staff_api_tokens', (t) => {
    t.increments('id');
    t.integer('staff_id').notNullable().references('staff_users.id').onDelete('CASCADE');
    t.string('name', 80).notNullable();
    t.string('token_hash', 64).notNullable().unique();
    // The first characters, shown in lists so a person can tell tokens apart.
    t.string('prefix', 16).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('last_used_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.index(['staff_id']);
  });

  await knex.schema.createTable('audit_log', (t) => {
    t.increments('id');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.string('actor_type', 10).notNullable(); // staff | token | operator | system
    t.integer('actor_id'); // the staff user, when there is one
    t.string('actor_label', 254).notNullable();
    t.string('action', 60).notNullable();
    t.string('entity', 40).notNullable();
    t.string('entity_id', 120);
    t.text('details');
    t.index(['entity', 'entity_id']);
    t.index(['actor_id']);
    t.index(['created_at']);
  });

  await knex.schema.alterTable('entry_status_changes', (t) => {
    t.string('actor', 254);
  });

  await knex.schema.alterTable('mail_jobs', (t) => {
    t.integer('staff_id').references('staff_users.id').onDelete('CASCADE');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mail_jobs', (t) => t.dropColumn('staff_id'));
  await knex.schema.alterTable('entry_status_changes', (t) => t.dropColumn('actor'));
  for (const table of ['audit_log', 'staff_api_tokens', 'staff_login_failures', 'staff_sessions', 'staff_users']) {
    await knex.schema.dropTableIfExists(table);
  }
}
