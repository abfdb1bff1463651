import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';

export const DOVECOT = '/usr/sbin/dovecot';

/**
 * A real IMAP server for a test: Debian's dovecot with its own config in a temp folder,
 * plain-text login from a passwd-file, Maildir storage, on a free loopback port, in the
 * foreground (so stopping the test's child stops it).
 */
export interface TestImapServer {
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dovecot exited with ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error('dovecot did not start listening');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startDovecot(): Promise<TestImapServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'masthead-imap-'));
  chmodSync(dir, 0o755);
  // Dovecot never gives mail access as root: run the mailbox as the test's user, or nobody.
  const me = userInfo();
  const [uid, gid] = me.uid === 0 ? [65534, 65534] : [me.uid, me.gid];
  const mailDir = path.join(dir, 'mail');
  mkdirSync(mailDir);
  if (me.uid === 0) chownSync(mailDir, uid, gid);
  const port = await freePort();
  const user = 'bounces';
  const password = 'imap-password-0123456789';
  writeFileSync(path.join(dir, 'passwd'), `${user}:{PLAIN}${password}:${uid}:${gid}::${mailDir}/${user}::\n`);
  writeFileSync(
    path.join(dir, 'dovecot.conf'),
    `protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:${mailDir}/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${uid} gid=${gid} home=${mailDir}/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0600
  }
}
`,
  );
  const child = spawn(DOVECOT, ['-F', '-c', path.join(dir, 'dovecot.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  try {
    await waitForPort(port, child);
  } catch (err) {
    child.kill('SIGTERM');
    throw new Error(`${(err as Error).message}: ${stderr.slice(0, 500)}`);
  }
  return {
    url: `imap://${user}:${password}@127.0.0.1:${port}/INBOX`,
    host: '127.0.0.1',
    port,
    user,
    password,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
