import type { Knex } from 'knex';

// Articles, the feeds they come from, and the digests that carry them. Timestamps are written
// by the application as Date values (see the first migration).

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('feeds', (t) => {
    t.increments('id');
    t.string('url', 2048).notNullable().unique();
    t.integer('topic_id').notNullable().references('topics.id');
    t.string('title', 300);
    // What the server sent last time, for a conditional GET that costs it nothing when unchanged.
    t.string('etag', 500);
    t.string('last_modified', 100);
    t.timestamp('last_polled_at', { useTz: true });
    t.timestamp('last_success_at', { useTz: true });
    t.text('last_error');
    // Claimed by a compare-and-set on this column, so several processes never poll one feed together.
    t.timestamp('next_poll_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['next_poll_at']);
  });

  await knex.schema.createTable('articles', (t) => {
    t.increments('id');
    t.string('url', 2048).notNullable().unique();
    t.integer('topic_id').notNullable().references('topics.id');
    t.integer('feed_id').references('feeds.id').onDelete('SET NULL');
    // The feed's own id for the item, when it gives one; a changed link keeps the same article.
    t.string('guid', 500);
    t.string('title', 300).notNullable();
    t.text('summary').notNullable();
    t.string('author', 200);
    t.string('image_url', 2048);
    // A JSON array of strings.
    t.text('tags').notNullable();
    t.integer('reading_minutes').notNullable();
    t.timestamp('published_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['topic_id', 'published_at']);
    t.index(['feed_id', 'guid']);
  });

  await knex.schema.createTable('digests', (t) => {
    // Random, not a sequence: the id is in every "view in browser" link, and must not let
    // anyone walk through unsent or test digests.
    t.string('id', 32).primary();
    t.integer('topic_id').notNullable().references('topics.id');
    t.string('subject', 400).notNullable();
    t.string('status', 20).notNullable();
    t.boolean('is_test').notNullable();
    // The compiled message with its per-recipient placeholders, exactly as it goes out.
    t.text('html').notNullable();
    t.text('text').notNullable();
    t.string('placeholder_key', 64).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['topic_id', 'is_test']);
  });

  await knex.schema.createTable('digest_articles', (t) => {
    t.string('digest_id', 32).notNullable().references('digests.id').onDelete('CASCADE');
    t.integer('article_id').notNullable().references('articles.id').onDelete('CASCADE');
    t.integer('position').notNullable();
    t.primary(['digest_id', 'article_id']);
    t.index(['article_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['digest_articles', 'digests', 'articles', 'feeds']) {
    await knex.schema.dropTableIfExists(table);
  }
}
