import type { Knex } from 'knex';

// What providers and the bounce mailbox report after a digest left: bounces and complaints.
// One row per provider event, unique per provider so a replayed event is stored (and counted)
// once. The row ties the event to its delivery, digest and subscriber by id; it keeps no
// address. No foreign keys, like deliveries: an event for an unknown Message-ID is kept with
// nulls ("unmatched") and never changes anyone.

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('delivery_events', (t) => {
    t.increments('id');
    t.string('provider', 20).notNullable(); // ses, postmark, generic, mailbox
    t.string('provider_event_id', 200).notNullable();
    t.string('kind', 20).notNullable(); // hard_bounce, soft_bounce, complaint
    t.integer('delivery_id');
    t.string('digest_id', 32);
    t.integer('subscriber_id');
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.timestamp('received_at', { useTz: true }).notNullable();
    t.unique(['provider', 'provider_event_id']);
    t.index(['digest_id', 'kind']);
    t.index(['subscriber_id', 'kind', 'occurred_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('delivery_events');
}
