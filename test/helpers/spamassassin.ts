import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * SpamAssassin from Debian's package, run offline as `spamassassin -L -t`: local tests
 * only (no DNS blocklists, no Razor or Pyzor), reporting every rule that fired. It uses the
 * rules sa-update installed when there are any, otherwise the rules the package ships
 * (/usr/share/spamassassin), which is what an offline machine has. Its home is a temporary
 * folder and it does not auto-learn, so test mail never trains the machine's filter.
 */
export const SPAMASSASSIN = '/usr/bin/spamassassin';
export const spamSkip = existsSync(SPAMASSASSIN) ? undefined : `SpamAssassin suite skipped: ${SPAMASSASSIN} is not installed`;

const SHIPPED_RULES = '/usr/share/spamassassin';
const UPDATED_RULES = '/var/lib/spamassassin';

/** `-C` with the shipped rules unless sa-update left a rules set (a .cf beside its channel folder). */
function rulesArguments(): string[] {
  const updated = existsSync(UPDATED_RULES)
    ? readdirSync(UPDATED_RULES, { withFileTypes: true })
        .filter((d) => d.isDirectory() && /^\d+\.\d+$/.test(d.name))
        .some((d) => readdirSync(path.join(UPDATED_RULES, d.name)).some((f) => f.endsWith('.cf')))
    : false;
  return updated ? [] : ['-C', SHIPPED_RULES];
}

export interface SpamVerdict {
  score: number;
  /** Each rule that fired with its points, as SpamAssassin's report lists them. */
  rules: string[];
}

export async function spamVerdict(raw: Buffer): Promise<SpamVerdict> {
  const home = mkdtempSync(path.join(tmpdir(), 'masthead-sa-'));
  const args = ['-L', '-t', '-x', ...rulesArguments(), '--cf', 'bayes_auto_learn 0'];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(SPAMASSASSIN, args, { env: { ...process.env, HOME: home }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      const text = Buffer.concat(out).toString('utf8');
      if (!/^X-Spam-Status:/m.test(text)) reject(new Error(`spamassassin exited ${code}: ${Buffer.concat(err).toString('utf8').trim()}`));
      else resolve(text);
    });
    child.stdin.end(raw);
  });
  const head = output.split(/\r?\n\r?\n/, 1)[0].replace(/\r?\n[ \t]+/g, ' ');
  const status = /^X-Spam-Status: \w+, score=(-?[\d.]+)/m.exec(head);
  if (!status) throw new Error('no score in the X-Spam-Status header');
  // The report's table: " 0.7 RULE_NAME   description", descriptions folded onto further lines.
  const report = output.slice(output.indexOf('Content analysis details'));
  const rules = [...report.matchAll(/^ *(-?\d+\.\d+) ([A-Z0-9_]+) +(.*)$/gm)].map((m) => `${m[1]} ${m[2]} (${m[3].trim()})`);
  return { score: Number(status[1]), rules };
}
