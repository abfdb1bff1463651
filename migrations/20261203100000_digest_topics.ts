import type { Knex } from 'knex';

// Digests of several topics (issue 13): a digest's topics, one compiled message per
// combination of them that its recipients follow, and each delivery's combination.

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('digest_topics', (t) => {
    t.string('digest_id', 32).notNullable().references('digests.id').onDelete('CASCADE');
    t.integer('topic_id').notNullable().references('topics.id');
    t.integer('position').notNullable();
    // 2^position: a set of the digest's topics is the sum of their bits (a variant's key).
    t.integer('bit').notNullable();
    t.primary(['digest_id', 'topic_id']);
    t.index(['topic_id']);
  });
  // Every digest so far covers its one topic.
  await knex.raw(`insert into digest_topics (digest_id, topic_id, position, bit) select id, topic_id, 0, 1 from digests`);

  await knex.schema.createTable('digest_variants', (t) => {
    t.string('digest_id', 32).notNullable().references('digests.id').onDelete('CASCADE');
    // The sum of the bits of the topics this message has sections for.
    t.integer('topics_mask').notNullable();
    t.string('subject', 400).notNullable();
    t.text('html').notNullable();
    t.text('text').notNullable();
    t.string('placeholder_key', 64).notNullable();
    t.primary(['digest_id', 'topics_mask']);
  });

  await knex.schema.alterTable('deliveries', (t) => {
    // The digest_variants row (digest_id, topics_mask = variant) this recipient gets; null
    // for the digest's own message (a digest of one topic, a test recipient).
    t.integer('variant');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('deliveries', (t) => {
    t.dropColumn('variant');
  });
  await knex.schema.dropTableIfExists('digest_variants');
  await knex.schema.dropTableIfExists('digest_topics');
}
