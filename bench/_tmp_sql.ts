import { createDb } from '../src/db';
const db = createDb({ databaseUrl: 'postgres://postgres@127.0.0.1:5432/test', dataDir: '/tmp/h12s', searchPath: 'h12s_big' });
const q = db('subscribers').where('subscribers.status', 'confirmed').whereExists(db('subscriber_topics').join('topics', 'topics.id', 'subscriber_topics.topic_id').whereRaw('subscriber_topics.subscriber_id = subscribers.id').where('topics.slug', 'banking'));
console.log(q.clone().count({ n: '*' }).toString() + ';');
console.log(q.clone().select('subscribers.*').orderBy('subscribers.id').offset(0).limit(50).toString() + ';');
await db.destroy();
