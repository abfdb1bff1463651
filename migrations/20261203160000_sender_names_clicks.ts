import type { Knex } from 'knex';

// A sender name per topic and per programme (the From address itself stays MAIL_FROM's, for
// DKIM and SPF alignment), and click counts. A digest composed with click tracking keeps its
// article links in order (`links`, JSON): a redirect token names only a delivery and a link's
// position, and the target is read from here, so a token can never send anyone elsewhere.
// One click row per delivery and link: a reader clicking twice counts once.

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('topics', (t) => {
    t.string('sender_name', 120);
  });
  await knex.schema.alterTable('programmes', (t) => {
    t.string('sender_name', 120);
  });
  for (const table of ['digests', 'digest_variants']) {
    await knex.schema.alterTable(table, (t) => {
      t.text('links');
    });
  }
  await knex.schema.createTable('digest_clicks', (t) => {
    t.increments('id');
    t.string('digest_id', 32).notNullable();
    t.integer('delivery_id').notNullable();
    t.integer('link_index').notNullable();
    // The link itself: positions differ between a digest's variants (readers of other topic sets).
    t.text('url').notNullable();
    t.timestamp('clicked_at', { useTz: true }).notNullable();
    t.unique(['delivery_id', 'link_index']);
    t.index(['digest_id', 'link_index']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('digest_clicks');
  await knex.schema.alterTable('digest_variants', (t) => t.dropColumn('links'));
  await knex.schema.alterTable('digests', (t) => t.dropColumn('links'));
  await knex.schema.alterTable('programmes', (t) => t.dropColumn('sender_name'));
  await knex.schema.alterTable('topics', (t) => t.dropColumn('sender_name'));
}
