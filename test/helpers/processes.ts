import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ADMIN_TOKEN, type TestApp } from './app';

/** Masthead commands run as real child processes on a test app's database and SMTP server. */

export const root = path.join(import.meta.dirname, '..', '..');

/** The environment of a Masthead command on the test's database, sending to the test's SMTP server. */
export const commandEnv = (t: TestApp, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  DATA_DIR: t.database.dataDir,
  ...(t.database.databaseUrl ? { DATABASE_URL: t.database.databaseUrl } : {}),
  SMTP_URL: t.smtp.url,
  SECRET: t.config.secret,
  ADMIN_TOKEN,
  BASE_URL: t.config.baseUrl,
  LOG_LEVEL: 'error',
  ...extra,
});

/** A `npm run worker` process (what that script runs). */
export function startWorker(t: TestApp, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['src/cli/start.mjs', 'cli/worker'], {
    cwd: root,
    env: commandEnv(t, env),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export const exited = (child: ChildProcess) => new Promise((resolve) => (child.exitCode !== null || child.signalCode ? resolve(null) : child.once('exit', resolve)));

/** Kills (SIGKILL) and waits for each child a test started, emptying the list. */
export async function killChildren(children: ChildProcess[]) {
  for (const child of children.splice(0)) {
    child.kill('SIGKILL');
    await exited(child);
  }
}
