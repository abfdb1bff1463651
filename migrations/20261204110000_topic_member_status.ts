import type { Knex } from 'knex';

// Each topic membership carries its subscriber's status, kept by the database itself on
// every insert and status change, so "confirmed readers of banking" is one range of one
// index: the admin list's total and a digest's recipient count read it without joining a
// million subscribers. Triggers rather than application code: no write path can forget it.

const isPostgres = (knex: Knex) => knex.client.config.client === 'pg';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('subscriber_topics', (t) => {
    t.string('status', 20);
  });
  await knex.raw('update subscriber_topics set status = (select s.status from subscribers s where s.id = subscriber_topics.subscriber_id)');
  await knex.schema.alterTable('subscriber_topics', (t) => {
    t.dropIndex(['topic_id', 'subscriber_id']);
    t.index(['topic_id', 'status', 'subscriber_id']);
  });
  if (isPostgres(knex)) {
    await knex.raw(`create function subscriber_topics_take_status() returns trigger language plpgsql as $$
      begin
        select s.status into new.status from subscribers s where s.id = new.subscriber_id;
        return new;
      end $$`);
    await knex.raw(`create trigger subscriber_topics_take_status before insert on subscriber_topics
      for each row execute function subscriber_topics_take_status()`);
    await knex.raw(`create function subscribers_pass_status() returns trigger language plpgsql as $$
      begin
        update subscriber_topics set status = new.status where subscriber_id = new.id;
        return null;
      end $$`);
    await knex.raw(`create trigger subscribers_pass_status after update of status on subscribers
      for each row when (old.status is distinct from new.status) execute function subscribers_pass_status()`);
  } else {
    // SQLite's BEFORE triggers cannot change the row: the new membership is updated after.
    await knex.raw(`create trigger subscriber_topics_take_status after insert on subscriber_topics for each row begin
      update subscriber_topics set status = (select s.status from subscribers s where s.id = new.subscriber_id)
      where subscriber_id = new.subscriber_id and topic_id = new.topic_id;
    end`);
    await knex.raw(`create trigger subscribers_pass_status after update of status on subscribers
      for each row when old.status is not new.status begin
      update subscriber_topics set status = new.status where subscriber_id = new.id;
    end`);
  }
}

export async function down(knex: Knex): Promise<void> {
  if (isPostgres(knex)) {
    await knex.raw('drop trigger if exists subscribers_pass_status on subscribers');
    await knex.raw('drop trigger if exists subscriber_topics_take_status on subscriber_topics');
    await knex.raw('drop function if exists subscribers_pass_status()');
    await knex.raw('drop function if exists subscriber_topics_take_status()');
  } else {
    await knex.raw('drop trigger if exists subscribers_pass_status');
    await knex.raw('drop trigger if exists subscriber_topics_take_status');
  }
  await knex.schema.alterTable('subscriber_topics', (t) => {
    t.dropIndex(['topic_id', 'status', 'subscriber_id']);
    t.index(['topic_id', 'subscriber_id']);
    t.dropColumn('status');
  });
}
