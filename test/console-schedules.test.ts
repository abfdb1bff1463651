import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createLogger } from '../src/logger';
import { runDueSchedules } from '../src/schedules/runner';
import { startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { createStaff, signIn, submitForm, type Agent } from './helpers/staff';

/** The Schedules console screen as plain forms, without JavaScript: add, change, see runs, delete behind a confirmation. */
describeEachEngine('console schedules screen', (engine) => {
  let t: TestApp;
  let editor: Agent;
  before(async () => {
    t = await startTestApp(engine);
    await t.workers.schedules.stop();
    await createStaff(t, 'ed.schedules@example.com', 'editor');
    editor = await signIn(t, 'ed.schedules@example.com');
  });
  after(async () => {
    await t.close();
  });

  it('adds a two-topic schedule from the form, lists it with its next run in its zone, edits it, and deletes it after confirming', async () => {
    const empty = await editor.get('/admin/schedules').expect(200);
    assert.match(empty.text, /No schedule yet/);
    assert.match(empty.text, /<a href="\/admin\/schedules" aria-current="page">Schedules<\/a>/);

    const bad = await submitForm(editor, '/admin/schedules/new', '/admin/schedules', { cron: '0 7 * *', timeZone: 'Europe/London', limit: '99' });
    assert.equal(bad.status, 422);
    assert.match(bad.text, /Topics: Choose at least one topic/);
    assert.match(bad.text, /When \(cron\): cron must have exactly five fields/);
    assert.match(bad.text, /Most articles: limit is a whole number from 1 to 50/);
    assert.match(bad.text, /value="0 7 \* \*"/, 'what was typed stays');

    const saved = await submitForm(editor, '/admin/schedules/new', '/admin/schedules', { topics: ['finance', 'banking'], cron: '0 8 * * 1', timeZone: 'Asia/Tokyo', limit: '5', subject: 'Monday briefing' });
    assert.equal(saved.status, 303);
    const [row] = await t.db('schedules').select('id');
    const list = await editor.get('/admin/schedules').expect(200);
    assert.match(list.text, /Finance, Banking/);
    assert.match(list.text, /<code>0 8 \* \* 1<\/code>/);
    assert.match(list.text, /Monday, \d+ \w+ \d{4}, 08:00 GMT\+9/, 'the next run on Tokyo’s clock');
    assert.match(list.text, /not yet/);

    // A run with a digest: the list links its outcome to the digest.
    const api = (await t.admin('get', `/api/admin/schedules/${row.id}`)).body;
    await t.db('schedules').where({ id: row.id }).update({ next_run_at: new Date(api.nextRunAt) });
    await runDueSchedules({ db: t.db, config: t.config, logger: createLogger('silent'), deliveryQueued: () => {} }, new Date(api.nextRunAt));
    const afterRun = await editor.get('/admin/schedules').expect(200);
    assert.match(afterRun.text, /skipped\s*<br><time/, 'nothing new: skipped');
    const edit = await editor.get(`/admin/schedules/${row.id}`).expect(200);
    assert.match(edit.text, /Recent runs/);
    assert.match(edit.text, /No Finance or \w+ article/, 'the reason names both topics');
    assert.match(edit.text, /value="finance" checked/);
    assert.match(edit.text, /<option value="Asia\/Tokyo" selected>/);

    const changed = await submitForm(editor, `/admin/schedules/${row.id}`, `/admin/schedules/${row.id}`, { topics: 'insurance', cron: '15 6 * * *', timeZone: 'Europe/London', limit: '', subject: '' });
    assert.equal(changed.status, 303);
    const now = (await t.admin('get', `/api/admin/schedules/${row.id}`)).body;
    assert.deepEqual([now.topics, now.cron, now.timeZone, now.limit, now.subject], [['insurance'], '15 6 * * *', 'Europe/London', null, null]);

    const confirm = await editor.get(`/admin/schedules/${row.id}/delete`).expect(200);
    assert.match(confirm.text, /Delete this schedule\?/);
    const noToken = await editor.post(`/admin/schedules/${row.id}/delete`).type('form').send({});
    assert.equal(noToken.status, 403, 'CSRF');
    const deleted = await submitForm(editor, `/admin/schedules/${row.id}/delete`, `/admin/schedules/${row.id}/delete`, {});
    assert.equal(deleted.status, 303);
    assert.equal(Number((await t.db('schedules').count({ n: '*' }))[0].n), 0);

    const audit = await t.db('audit_log').where({ entity: 'schedules' }).orderBy('id').select('action', 'actor_label');
    assert.deepEqual(audit.map((a: { action: string }) => a.action), ['schedules.create', 'schedules.update', 'schedules.delete']);
    assert.ok(audit.every((a: { actor_label: string }) => a.actor_label.includes('ed.schedules@example.com')));
  });

  it('keeps judges out', async () => {
    await createStaff(t, 'judge.schedules@example.com', 'judge');
    const judge = await signIn(t, 'judge.schedules@example.com');
    await judge.get('/admin/schedules').expect(403);
    const page = await judge.get('/admin/judging');
    assert.doesNotMatch(page.text, /\/admin\/schedules/);
  });
});
