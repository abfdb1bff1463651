import { createDb, migrateLatest } from '../src/db';
const url = 'postgres://postgres@127.0.0.1:5432/test';
const schema = process.argv[2];
const n = Number(process.argv[3]);
const admin = createDb({ databaseUrl: url, dataDir: '/tmp/h12s' });
await admin.raw(`drop schema if exists ${schema} cascade`);
await admin.raw(`create schema ${schema}`);
await admin.destroy();
const db = createDb({ databaseUrl: url, dataDir: '/tmp/h12s', searchPath: schema });
await migrateLatest(db);
await db.raw(`insert into subscribers (email, name, status, token_nonce, consent_at, consent_version, consent_source, consent_note, confirmed_at, created_at, updated_at)
  select 'reader' || i || '@scale.example', 'Reader ' || i, 'confirmed', md5(i::text), now(), 'v1', 'import', 'scale', now(), now(), now() from generate_series(0, ${n - 1}) i`);
await db.raw(`insert into subscriber_topics (subscriber_id, topic_id) select id, (select id from topics where slug='finance') from subscribers`);
await db.raw(`insert into subscriber_topics (subscriber_id, topic_id) select s.id, t.id from subscribers s join topics t on t.slug = (array['finance','banking','fintech'])[(s.id % 3) + 1] where t.slug <> 'finance'`);
await db.raw('analyze');
await db.destroy();
