import type { Knex } from 'knex';

// How many subscribers each status has, overall and per topic, kept by the database as rows
// of changes (+n, -n), so the admin list's totals and the dashboard's counts add up a few
// rows instead of counting a million. Changes are appended, never updated in place:
// concurrent sign-ups and imports on PostgreSQL do not queue on one counter row. Readers
// fold the rows together when they pile up (subscribers/queries.ts). topic_id null: every
// subscriber; otherwise that topic's members (whose status the membership carries).

const isPostgres = (knex: Knex) => knex.client.config.client === 'pg';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('subscriber_counts', (t) => {
    t.increments('id');
    t.integer('topic_id');
    t.string('status', 20).notNullable();
    t.bigInteger('n').notNullable();
  });
  await knex.raw('insert into subscriber_counts (status, n) select status, count(*) from subscribers group by status');
  await knex.raw(`insert into subscriber_counts (topic_id, status, n)
    select topic_id, status, count(*) from subscriber_topics where status is not null group by topic_id, status`);
  if (isPostgres(knex)) {
    // One row of change per group per statement (transition tables), so a bulk import adds
    // a handful of rows, not one per subscriber; an update that keeps the status adds none.
    // The same function serves both tables: the topic is null for subscribers.
    await knex.raw(`create function subscriber_counts_record() returns trigger language plpgsql as $$
      begin
        if tg_table_name = 'subscribers' then
          if tg_op = 'INSERT' then
            insert into subscriber_counts (status, n) select status, count(*) from new_rows group by status;
          elsif tg_op = 'DELETE' then
            insert into subscriber_counts (status, n) select status, -count(*) from old_rows group by status;
          else
            insert into subscriber_counts (status, n)
              select status, sum(n) from (
                select status, 1 as n from new_rows union all select status, -1 as n from old_rows
              ) changed group by status having sum(n) <> 0;
          end if;
        else
          if tg_op = 'INSERT' then
            insert into subscriber_counts (topic_id, status, n)
              select topic_id, status, count(*) from new_rows where status is not null group by topic_id, status;
          elsif tg_op = 'DELETE' then
            insert into subscriber_counts (topic_id, status, n)
              select topic_id, status, -count(*) from old_rows where status is not null group by topic_id, status;
          else
            insert into subscriber_counts (topic_id, status, n)
              select topic_id, status, sum(n) from (
                select topic_id, status, 1 as n from new_rows union all select topic_id, status, -1 as n from old_rows
              ) changed where status is not null group by topic_id, status having sum(n) <> 0;
          end if;
        end if;
        return null;
      end $$`);
    for (const table of ['subscribers', 'subscriber_topics']) {
      await knex.raw(`create trigger ${table}_count_insert after insert on ${table}
        referencing new table as new_rows for each statement execute function subscriber_counts_record()`);
      await knex.raw(`create trigger ${table}_count_update after update on ${table}
        referencing old table as old_rows new table as new_rows for each statement execute function subscriber_counts_record()`);
      await knex.raw(`create trigger ${table}_count_delete after delete on ${table}
        referencing old table as old_rows for each statement execute function subscriber_counts_record()`);
    }
    await knex.raw(`create function subscriber_counts_clear() returns trigger language plpgsql as $$
      begin
        if tg_table_name = 'subscribers' then
          delete from subscriber_counts;
        else
          delete from subscriber_counts where topic_id is not null;
        end if;
        return null;
      end $$`);
    for (const table of ['subscribers', 'subscriber_topics']) {
      await knex.raw(`create trigger ${table}_count_truncate after truncate on ${table}
        for each statement execute function subscriber_counts_clear()`);
    }
  } else {
    // SQLite has row triggers only (and one writer at a time, so no contention to avoid).
    await knex.raw(`create trigger subscribers_count_insert after insert on subscribers for each row begin
      insert into subscriber_counts (status, n) values (new.status, 1);
    end`);
    await knex.raw(`create trigger subscribers_count_update after update of status on subscribers
      for each row when old.status is not new.status begin
      insert into subscriber_counts (status, n) values (old.status, -1), (new.status, 1);
    end`);
    await knex.raw(`create trigger subscribers_count_delete after delete on subscribers for each row begin
      insert into subscriber_counts (status, n) values (old.status, -1);
    end`);
    // A membership's status is set just after its insert (migration 20261204110000), so
    // the insert itself is counted only where it already has one.
    await knex.raw(`create trigger subscriber_topics_count_insert after insert on subscriber_topics
      for each row when new.status is not null begin
      insert into subscriber_counts (topic_id, status, n) values (new.topic_id, new.status, 1);
    end`);
    await knex.raw(`create trigger subscriber_topics_count_update after update of status on subscriber_topics
      for each row when old.status is not new.status begin
      insert into subscriber_counts (topic_id, status, n) select old.topic_id, old.status, -1 where old.status is not null;
      insert into subscriber_counts (topic_id, status, n) select new.topic_id, new.status, 1 where new.status is not null;
    end`);
    await knex.raw(`create trigger subscriber_topics_count_delete after delete on subscriber_topics
      for each row when old.status is not null begin
      insert into subscriber_counts (topic_id, status, n) values (old.topic_id, old.status, -1);
    end`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['subscribers', 'subscriber_topics']) {
    for (const op of ['insert', 'update', 'delete', 'truncate']) {
      if (isPostgres(knex)) await knex.raw(`drop trigger if exists ${table}_count_${op} on ${table}`);
      else await knex.raw(`drop trigger if exists ${table}_count_${op}`);
    }
  }
  if (isPostgres(knex)) {
    await knex.raw('drop function if exists subscriber_counts_record()');
    await knex.raw('drop function if exists subscriber_counts_clear()');
  }
  await knex.schema.dropTable('subscriber_counts');
}
