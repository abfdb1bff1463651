import type { Knex } from 'knex';

// Sending digests: one row per digest and recipient, the send's state on the digest, the
// idempotency keys of trigger requests, and the sender's shared rate-limit clock.

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('digests', (t) => {
    t.integer('recipients').notNullable().defaultTo(0);
    t.timestamp('started_at', { useTz: true });
    t.timestamp('finished_at', { useTz: true });
    t.text('status_reason');
  });

  // No foreign keys here on purpose: the snapshot inserts 100,000 rows in one statement, and
  // a per-row reference check would double its time. Rows come only from existing digests
  // and subscribers, and erasing a subscriber deletes their rows explicitly.
  await knex.schema.createTable('deliveries', (t) => {
    t.increments('id');
    t.string('digest_id', 32).notNullable();
    t.integer('subscriber_id'); // null for a test recipient
    t.string('email', 254).notNullable();
    t.string('status', 20).notNullable(); // queued, sending, sent, failed
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable();
    // A claimed row belongs to one process until this time; then another may take it over.
    t.timestamp('lease_until', { useTz: true });
    t.string('claimed_by', 64);
    t.text('last_error');
    t.text('smtp_response');
    t.timestamp('sent_at', { useTz: true });
    // One row per digest and recipient: a subscriber once (test recipients are deduplicated
    // when they are added).
    t.unique(['digest_id', 'subscriber_id']);
    t.index(['digest_id', 'status', 'next_attempt_at']);
    t.index(['subscriber_id']);
  });

  await knex.schema.createTable('digest_requests', (t) => {
    t.string('idempotency_key', 200).primary();
    t.string('request_hash', 64).notNullable();
    t.string('digest_id', 32).references('digests.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable();
  });

  // One row per sender: when its next message may go, shared by every process (SEND_RATE).
  await knex.schema.createTable('sender_clock', (t) => {
    t.string('name', 40).primary();
    t.timestamp('next_slot_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('sender_clock');
  await knex.schema.dropTableIfExists('digest_requests');
  await knex.schema.dropTableIfExists('deliveries');
  await knex.schema.alterTable('digests', (t) => {
    t.dropColumn('recipients');
    t.dropColumn('started_at');
    t.dropColumn('finished_at');
    t.dropColumn('status_reason');
  });
}
