import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, it } from 'node:test';
import { generate } from 'otplib';
import request from 'supertest';
import { ADMIN_TOKEN, csrfFrom, localPath, startTestApp, type TestApp } from './helpers/app';
import { describeEachEngine } from './helpers/engines';
import { createProgramme, entryFields } from './helpers/factories';
import { sentTo } from './helpers/smtp';
import { firstAdminNotice } from '../src/staff/first-admin';
import { createStaff, postLogin, signIn, STAFF_PASSWORD, submitForm } from './helpers/staff';

const run = promisify(execFile);
const root = path.join(import.meta.dirname, '..');

const welcomeLinkIn = (text: string) => /(https?:\/\/\S+\/admin\/welcome\?token=\S+)/.exec(text)?.[1];

describeEachEngine('staff accounts and sign-in', (engine) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(engine);
  });
  after(async () => {
    await t.close();
  });

  it('adds, lists and disables accounts from the command line; the welcome link sets a password once', async () => {
    const env = { PATH: process.env.PATH, DATA_DIR: t.database.dataDir, BASE_URL: t.config.baseUrl, SECRET: t.config.secret, ADMIN_TOKEN, ...(t.database.databaseUrl ? { DATABASE_URL: t.database.databaseUrl } : {}) };
    const cli = (...args: string[]) => run(process.execPath, ['src/cli/start.mjs', 'cli/staff', ...args], { cwd: root, env });

    const added = await cli('add', 'Ines.Moreau@Example.com', '--role', 'editor', '--name', 'Inès Moreau');
    assert.match(added.stdout, /Added ines\.moreau@example\.com \(editor\)/);
    const link = welcomeLinkIn(added.stdout);
    assert.ok(link, 'the command prints the welcome link');

    await assert.rejects(cli('add', 'ines.moreau@example.com', '--role', 'editor'), (err: { stderr: string }) => /already exists/.test(err.stderr));
    await assert.rejects(cli('add', 'someone@example.com', '--role', 'boss'), (err: { stderr: string }) => /--role: The role must be admin, editor or judge/.test(err.stderr));

    // The same link arrives by email (sent by this app's mail worker, which shares the database).
    const [mail] = await t.smtp.waitFor(sentTo('ines.moreau@example.com'));
    assert.equal(mail.subject, 'Your staff console account at The Finance Ledger');
    assert.doesNotMatch(mail.text ?? '', /the The/);
    assert.ok(welcomeLinkIn(mail.text ?? ''), 'the email carries a welcome link');

    const agent = t.agent();
    const page = await agent.get(localPath(link)).expect(200);
    const short = await agent.post(localPath(link)).type('form').send({ _csrf: csrfFrom(page.text), password: 'short', confirm: 'short' });
    assert.equal(short.status, 422);
    assert.match(short.text, /at least 12 characters/);
    const set = await agent.post(localPath(link)).type('form').send({ _csrf: csrfFrom(page.text), password: STAFF_PASSWORD, confirm: STAFF_PASSWORD });
    assert.equal(set.status, 303);
    assert.equal(set.headers.location, '/admin');
    const dashboard = await agent.get('/admin').expect(200);
    assert.match(dashboard.text, /Signed in as ines\.moreau@example\.com \(editor\)/);
    const row = await t.db('staff_users').where({ email: 'ines.moreau@example.com' }).first();
    assert.match(row.password_hash, /^\$argon2id\$/);

    // Used once: the link (and the emailed one) no longer works.
    await t.agent().get(localPath(link)).expect(400);
    await t.agent().get(localPath(welcomeLinkIn(mail.text ?? '')!)).expect(400);

    const listed = await cli('list');
    assert.match(listed.stdout, /ines\.moreau@example\.com\tInès Moreau\teditor\tactive\t\d{4}-/);

    const disabled = await cli('disable', 'ines.moreau@example.com');
    assert.match(disabled.stdout, /Disabled ines\.moreau@example\.com/);
    const after = await agent.get('/admin');
    assert.equal(after.status, 303, 'a disabled account is signed out at once');
    assert.equal(after.headers.location, '/admin/login');
  });

  it('at start on a database without staff: production explains how to add the first admin, elsewhere one is made', async () => {
    const fresh = await startTestApp(engine);
    try {
      const production = await firstAdminNotice(fresh.db, { ...fresh.config, env: 'production' });
      assert.match(production.join('\n'), /npm run staff -- add you@example\.com --role admin/);
      assert.equal(await fresh.db('staff_users').first(), undefined, 'production creates no account by itself');
      const development = await firstAdminNotice(fresh.db, fresh.config);
      assert.match(development[0], /admin\/welcome\?token=/);
      assert.equal((await fresh.db('staff_users').first()).role, 'admin');
      assert.equal((await firstAdminNotice(fresh.db, fresh.config)).length, 2, 'repeated at each start until a password is set');
    } finally {
      await fresh.close();
    }
  });

  it('sends people without a session to the sign-in page, and JSON clients get 401', async () => {
    for (const path of ['/admin', '/admin/staff', '/admin/no-such-screen', '/ADMIN/account']) {
      const r = await request(t.app).get(path);
      assert.equal(r.status, 303, path);
      assert.match(r.headers.location, /^\/admin\/login/);
    }
    const json = await request(t.app).get('/admin/staff').set('Accept', 'application/json').expect(401);
    assert.equal(json.body.error.code, 'unauthorized');
  });

  it('answers a wrong password and an unknown address alike, and sets a session cookie a script cannot read', async () => {
    await createStaff(t, 'olu.adeyemi@example.com', 'admin');
    const wrong = await postLogin(t.agent(), { email: 'olu.adeyemi@example.com', password: 'not the password at all' });
    const unknown = await postLogin(t.agent(), { email: 'nobody@example.com', password: 'not the password at all' });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    const message = (html: string) => /<div class="flash flash--error" role="alert">([^<]+)</.exec(html)?.[1];
    assert.equal(message(wrong.text), message(unknown.text));
    assert.ok(message(wrong.text));

    const agent = t.agent();
    const ok = await postLogin(agent, { email: 'OLU.ADEYEMI@example.com', password: STAFF_PASSWORD });
    assert.equal(ok.status, 303);
    const cookie = (ok.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('masthead.session='))!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    await agent.get('/admin').expect(200);

    // Signing out ends the session on the server: the old cookie no longer works.
    const value = cookie.split(';')[0];
    const out = await submitForm(agent, '/admin', '/admin/logout', {});
    assert.equal(out.status, 303);
    const replay = await request(t.app).get('/admin').set('Cookie', value);
    assert.equal(replay.status, 303);
  });

  it('ends a session after 12 hours idle', async () => {
    await createStaff(t, 'idle.person@example.com', 'editor');
    const agent = await signIn(t, 'idle.person@example.com');
    await agent.get('/admin').expect(200);
    const staff = await t.db('staff_users').where({ email: 'idle.person@example.com' }).first();
    await t.db('staff_sessions').where({ staff_id: staff.id }).update({ last_seen_at: new Date(Date.now() - 12 * 3600_000 - 60_000) });
    assert.equal((await agent.get('/admin')).status, 303);
  });

  it('clears sessions idle past 12 hours and failed sign-ins too old to count, keeping live ones', async () => {
    const staff = await createStaff(t, 'tidy.sessions@example.com', 'editor');
    const live = await signIn(t, 'tidy.sessions@example.com');
    const stale = await signIn(t, 'tidy.sessions@example.com');
    const [first, second] = await t.db('staff_sessions').where({ staff_id: staff.id }).orderBy('created_at').select('id');
    await t.db('staff_sessions').where({ id: second.id }).update({ last_seen_at: new Date(Date.now() - 13 * 3600_000) });
    await t.db('staff_login_failures').insert([
      { account_key: 'old', created_at: new Date(Date.now() - 2 * 3600_000) },
      { account_key: 'recent', created_at: new Date() },
    ]);
    await t.workers.housekeeping.runOnce();
    assert.deepEqual((await t.db('staff_sessions').where({ staff_id: staff.id }).select('id')).map((r) => r.id), [first.id]);
    assert.deepEqual((await t.db('staff_login_failures').whereIn('account_key', ['old', 'recent']).select('account_key')).map((r) => r.account_key), ['recent']);
    await live.get('/admin').expect(200);
    assert.equal((await stale.get('/admin')).status, 303);
  });

  it('locks an account for 15 minutes after five failures in 15 minutes, saying so the same way for unknown addresses', async () => {
    await createStaff(t, 'locked.out@example.com', 'editor');
    for (let i = 0; i < 5; i++) await postLogin(t.agent(), { email: 'locked.out@example.com', password: `guess number ${i} wrong` });
    const locked = await postLogin(t.agent(), { email: 'locked.out@example.com', password: STAFF_PASSWORD });
    assert.equal(locked.status, 429, 'even the right password is refused while locked');
    assert.match(locked.text, /Sign-in is paused for 15 minutes/);

    for (let i = 0; i < 5; i++) await postLogin(t.agent(), { email: 'ghost@example.com', password: `guess number ${i} wrong` });
    const ghost = await postLogin(t.agent(), { email: 'ghost@example.com', password: STAFF_PASSWORD });
    assert.equal(ghost.status, 429);
    assert.match(ghost.text, /Sign-in is paused for 15 minutes/);

    // Fifteen minutes later it works again.
    await t.db('staff_login_failures').update({ created_at: new Date(Date.now() - 16 * 60_000) });
    assert.equal((await postLogin(t.agent(), { email: 'locked.out@example.com', password: STAFF_PASSWORD })).status, 303);
  });

  it('turns on two-step sign-in: a code is then needed, each code works once, a recovery code works once', async () => {
    await createStaff(t, 'two.step@example.com', 'admin');
    const agent = await signIn(t, 'two.step@example.com');
    const setup = await agent.get('/admin/account/totp').expect(200);
    assert.match(setup.text, /<svg/, 'the QR code is drawn inline');
    const secret = /name="secret" value="([A-Z2-7]+)"/.exec(setup.text)![1];
    const signature = /name="signature" value="([0-9a-f]+)"/.exec(setup.text)![1];
    const bad = await agent.post('/admin/account/totp').type('form').send({ _csrf: csrfFrom(setup.text), secret, signature, code: '000000' });
    assert.equal(bad.status, 422);
    const on = await agent.post('/admin/account/totp').type('form').send({ _csrf: csrfFrom(setup.text), secret, signature, code: await generate({ secret }) });
    assert.equal(on.status, 200);
    const codes = [...on.text.matchAll(/<li>([0-9a-f]{5}-[0-9a-f]{5})<\/li>/g)].map((m) => m[1]);
    assert.equal(codes.length, 10);

    const next = t.agent();
    const first = await postLogin(next, { email: 'two.step@example.com', password: STAFF_PASSWORD });
    assert.equal(first.status, 303);
    assert.equal(first.headers.location, '/admin/login');
    assert.equal((await next.get('/admin')).status, 303, 'a password alone does not open the console');
    assert.equal((await postLogin(next, { code: '123456' })).status, 401);
    // The code used to turn it on was spent: the same step cannot sign in.
    const reused = await postLogin(next, { code: await generate({ secret }) });
    assert.equal(reused.status, 401);

    const withRecovery = await postLogin(next, { code: codes[0].toUpperCase() });
    assert.equal(withRecovery.status, 303);
    await next.get('/admin').expect(200);

    const again = t.agent();
    await postLogin(again, { email: 'two.step@example.com', password: STAFF_PASSWORD });
    assert.equal((await postLogin(again, { code: codes[0] })).status, 401, 'a recovery code works once');
  });

  it('resets a forgotten password by email, answering the same for unknown addresses, and signs out everywhere', async () => {
    await createStaff(t, 'forgetful@example.com', 'editor');
    const before = await signIn(t, 'forgetful@example.com');
    const known = await submitForm(t.agent(), '/admin/forgot', '/admin/forgot', { email: 'forgetful@example.com' });
    const unknown = await submitForm(t.agent(), '/admin/forgot', '/admin/forgot', { email: 'stranger@example.com' });
    assert.equal(known.status, 200);
    assert.equal(unknown.status, 200);
    const strip = (html: string) => html.replace(/value="[^"]*"/g, '');
    assert.equal(strip(known.text), strip(unknown.text));

    const [mail] = await t.smtp.waitFor((m) => sentTo('forgetful@example.com')(m) && /Reset/.test(m.subject ?? ''));
    const link = /(https?:\/\/\S+\/admin\/reset\?token=\S+)/.exec(mail.text ?? '')![1];
    const agent = t.agent();
    const page = await agent.get(localPath(link)).expect(200);
    const done = await agent.post(localPath(link)).type('form').send({ _csrf: csrfFrom(page.text), password: 'a brand new long password', confirm: 'a brand new long password' });
    assert.equal(done.status, 303);
    assert.equal((await before.get('/admin')).status, 303, 'the old session ended');
    assert.equal((await postLogin(t.agent(), { email: 'forgetful@example.com', password: STAFF_PASSWORD })).status, 401);
    assert.equal((await postLogin(t.agent(), { email: 'forgetful@example.com', password: 'a brand new long password' })).status, 303);
    await t.agent().get(localPath(link)).expect(400);
  });

  it('checks the role on every route: editors cannot manage staff, judges cannot open the dashboard or the admin API', async () => {
    await createStaff(t, 'role.editor@example.com', 'editor');
    await createStaff(t, 'role.judge@example.com', 'judge');
    const editor = await signIn(t, 'role.editor@example.com');
    const judge = await signIn(t, 'role.judge@example.com');
    assert.equal((await editor.get('/admin/staff')).status, 403);
    assert.equal((await editor.get('/admin/audit')).status, 403);
    const judgeHome = await judge.get('/admin');
    assert.equal(judgeHome.status, 303, 'a judge has no dashboard: /admin sends them on');
    assert.equal(judgeHome.headers.location, '/admin/judging');
    assert.equal((await judge.get('/admin/audit')).status, 403);
    await judge.get('/admin/account').expect(200);
    const editorNav = (await editor.get('/admin')).text;
    assert.doesNotMatch(editorNav, /href="\/admin\/staff"/, 'the navigation hides what the role cannot open');

    const tokenPage = await submitForm(judge, '/admin/account', '/admin/account/tokens', { name: 'judge script' });
    const judgeToken = /class="secret">(msk_[\w-]+)</.exec(tokenPage.text)![1];
    assert.equal((await request(t.app).get('/api/admin/subscribers').set('Authorization', `Bearer ${judgeToken}`)).status, 403);
  });

  it('personal API tokens: shown once, work with their role, recorded as the actor, end on revoke and on disable', async () => {
    const editor = await createStaff(t, 'token.editor@example.com', 'editor');
    const agent = await signIn(t, 'token.editor@example.com');
    const created = await submitForm(agent, '/admin/account', '/admin/account/tokens', { name: 'nightly export' });
    assert.equal(created.status, 201);
    const token = /class="secret">(msk_[\w-]+)</.exec(created.text)![1];
    const stored = await t.db('staff_api_tokens').where({ staff_id: editor.id }).first();
    assert.notEqual(stored.token_hash, token, 'only a hash is stored');
    const account = await agent.get('/admin/account').expect(200);
    assert.ok(!account.text.includes(token), 'the token is not shown again');

    const api = (method: 'get' | 'post' | 'patch', p: string) => request(t.app)[method](p).set('Authorization', `Bearer ${token}`);
    await api('get', '/api/admin/subscribers').expect(200);
    assert.equal((await api('get', '/api/admin/audit')).status, 403, 'the audit log is for admins');
    const article = { title: 'Rates held', url: 'https://news.example.com/rates-held', summary: 'The bank held rates.', topic: 'finance', publishedAt: new Date().toISOString() };
    await api('post', '/api/admin/articles').send(article).expect((r) => assert.ok(r.status < 300));
    const audit = await t.admin('get', '/api/admin/audit?entity=articles').expect(200);
    assert.equal(audit.body.items[0].actor.label, 'token.editor@example.com');
    assert.equal(audit.body.items[0].actor.type, 'token');

    const tokenId = stored.id;
    await submitForm(agent, '/admin/account', `/admin/account/tokens/${tokenId}/revoke`, {});
    assert.equal((await api('get', '/api/admin/subscribers')).status, 401);

    const second = /class="secret">(msk_[\w-]+)</.exec((await submitForm(agent, '/admin/account', '/admin/account/tokens', { name: 'second' })).text)![1];
    await request(t.app).get('/api/admin/subscribers').set('Authorization', `Bearer ${second}`).expect(200);
    await createStaff(t, 'boss@example.com', 'admin');
    const boss = await signIn(t, 'boss@example.com');
    const disabled = await submitForm(boss, '/admin/staff', `/admin/staff/${editor.id}/disable`, {});
    assert.equal(disabled.status, 303);
    assert.equal((await request(t.app).get('/api/admin/subscribers').set('Authorization', `Bearer ${second}`)).status, 401);
  });

  it('records who changed what: the operator token, staff in the console, and who moved an entry', async () => {
    const programme = await createProgramme(t);
    const entry = await request(t.app).post(`/api/awards/${programme.slug}/entries`).send(entryFields({ organisation: 'Audit Trail Bank' })).expect(201);
    await t.admin('patch', `/api/admin/entries/${entry.body.reference}`).send({ status: 'under_review' }).expect(200);

    const log = await t.admin('get', `/api/admin/audit?entity=entries&entityId=${entry.body.reference}`).expect(200);
    assert.equal(log.body.items.length, 1);
    assert.equal(log.body.items[0].actor.label, 'operator token');
    assert.equal(log.body.items[0].details.status, 'under_review');
    const detail = await t.admin('get', `/api/admin/entries/${entry.body.reference}`).expect(200);
    assert.equal(detail.body.history.at(-1).by, 'operator token');

    await createStaff(t, 'auditor@example.com', 'admin');
    const admin = await signIn(t, 'auditor@example.com');
    await submitForm(admin, '/admin/staff', '/admin/staff', { email: 'new.judge@example.com', role: 'judge', name: 'New Judge' }).then((r) => assert.equal(r.status, 201));
    const page = await admin.get('/admin/audit?actor=auditor').expect(200);
    assert.match(page.text, /staff\.add/);
    assert.equal((await t.admin('get', '/api/admin/audit?nonsense=1')).status, 400, 'unknown filters are refused');
  });

  it('refuses a console form without its CSRF token', async () => {
    await createStaff(t, 'csrf.check@example.com', 'admin');
    const agent = await signIn(t, 'csrf.check@example.com');
    const r = await agent.post('/admin/staff').type('form').send({ email: 'x@example.com', role: 'judge' });
    assert.equal(r.status, 403);
    assert.equal(await t.db('staff_users').where({ email: 'x@example.com' }).first(), undefined);
  });
});
