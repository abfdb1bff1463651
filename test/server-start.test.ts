import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { waitFor } from './helpers/server-process';

const root = path.join(import.meta.dirname, '..');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe('the server started as `npm start` does, with no configuration', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'masthead-start-'));
  let child: ChildProcess | undefined;
  let output = '';
  after(() => {
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the signup form, writes the confirmation email to the outbox, logs no personal data and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, PORT: String(port) };
    // Exactly what `npm start` runs: build dist/ if needed, then the built server.
    child = spawn(process.execPath, ['src/cli/start.mjs', 'server'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    const base = `http://localhost:${port}`;

    await waitFor('the start banner', () => output.includes(`listening on ${base}`) && output.includes('Admin token'));
    assert.match(output, new RegExp(`Admin token: in ${path.join(dataDir, 'admin-token').replace(/[/.]/g, '\\$&')}`));

    const form = await fetch(`${base}/newsletter`);
    assert.equal(form.status, 200);
    const html = await form.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1];
    const cookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const email = 'first.reader@example.com';
    const posted = await fetch(`${base}/newsletter/subscribe`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ _csrf: csrf, email, name: 'First Reader', consent: 'on' }),
    });
    assert.equal(posted.status, 303);

    const outbox = path.join(dataDir, 'outbox');
    const recipientOf = (m: Awaited<ReturnType<typeof simpleParser>>) => (m.to && !Array.isArray(m.to) ? m.to.value[0].address : '');
    const mail = await waitFor('the confirmation email in the outbox', async () => {
      let files: string[] = [];
      try {
        files = readdirSync(outbox).filter((f) => f.endsWith('.eml'));
      } catch {
        return undefined;
      }
      for (const f of files) {
        const parsed = await simpleParser(readFileSync(path.join(outbox, f)));
        if (recipientOf(parsed) === email) return parsed;
      }
      return undefined;
    });
    assert.match(mail.from?.text ?? '', /newsletter@localhost/);
    const link = /http:\/\/\S+\/newsletter\/confirm\?token=\S+/.exec(mail.text ?? '')?.[0];
    assert.ok(link?.startsWith(`${base}/newsletter/confirm?token=`), 'links use BASE_URL, by default http://localhost:$PORT');
    assert.equal((await fetch(link!)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);

    assert.ok(!output.includes(email) && !output.includes('First Reader'), 'the log holds no address or name');
    // The one token printed is the first admin's welcome link, so the two README commands lead into the console.
    const welcome = /Staff console: set the first admin's password at (http:\/\/\S+\/admin\/welcome\?token=\S+)/.exec(output)?.[1];
    assert.ok(welcome?.startsWith(`${base}/admin/welcome?token=`), 'the start banner prints the first admin\'s welcome link');
    const welcomePage = await fetch(welcome!);
    assert.equal(welcomePage.status, 200);
    assert.match(await welcomePage.text(), /Welcome: set your password/);
    assert.equal(output.split('token=').length - 1, 1, 'the log holds no other tokens');

    const exit = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exit, 0);
    child = undefined;
  });

  it('refuses to start on a bad setting, with one line naming the variable', async () => {
    for (const [name, value] of [['SEND_RATE', '-1'], ['DATABASE_URL', 'not a url'], ['PORT', 'eighty']]) {
      const bad = spawn(process.execPath, ['src/cli/start.mjs', 'server'], {
        cwd: root,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, [name]: value },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      bad.stderr!.on('data', (chunk) => (stderr += chunk));
      const code = await new Promise<number | null>((resolve) => bad.once('exit', resolve));
      assert.equal(code, 1, name);
      const lines = stderr.trim().split('\n');
      assert.equal(lines.length, 1, stderr);
      assert.match(lines[0], new RegExp(`^Configuration error: ${name} `));
    }
  });

  it('applies the migrations with `npm run migrate`, once', async () => {
    const fresh = mkdtempSync(path.join(os.tmpdir(), 'masthead-migrate-'));
    const run = async () => {
      const child = spawn(process.execPath, ['src/cli/start.mjs', 'cli/migrate'], { cwd: root, env: { PATH: process.env.PATH, DATA_DIR: fresh }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (chunk) => (out += chunk));
      child.stderr!.on('data', (chunk) => (out += chunk));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      return { code, out };
    };
    const first = await run();
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /Applied \d+ migration\(s\)/);
    const second = await run();
    assert.match(second.out, /Already up to date/);
    rmSync(fresh, { recursive: true, force: true });
  });
});
