import dotenv from 'dotenv';
import { parseArgs } from 'node:util';
import { OPERATOR } from '../audit/schema';
import { ConfigError, loadConfig, type Config } from '../config';
import { createDb, migrateLatest, toDate } from '../db';
import { AppError } from '../errors';
import { fieldErrors } from '../http/validate';
import { newStaff, staffEmail } from '../staff/schema';
import { addStaff, disableStaff, listStaff } from '../staff/service';

/**
 * `npm run staff -- add EMAIL --role admin|editor|judge [--name "…"]`, `list`, `disable EMAIL`.
 * Adding prints the welcome link (and queues it by email for the next running server or worker).
 */
const USAGE = `usage:
  npm run staff -- add EMAIL --role admin|editor|judge [--name "Full Name"]
  npm run staff -- list
  npm run staff -- disable EMAIL`;

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

let parsed;
try {
  parsed = parseArgs({ options: { role: { type: 'string' }, name: { type: 'string' } }, allowPositionals: true, strict: true });
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`);
}
const [command, email, ...extra] = parsed.positionals;
if (!command || extra.length || !['add', 'list', 'disable'].includes(command)) fail(USAGE);

dotenv.config({ quiet: true });
let config: Config;
try {
  config = loadConfig();
} catch (err) {
  fail(err instanceof ConfigError ? err.message : String(err), 1);
}
const db = createDb(config);
await migrateLatest(db);

try {
  if (command === 'add') {
    const input = newStaff.safeParse({ email, role: parsed.values.role, name: parsed.values.name });
    if (!input.success) fail(`${Object.entries(fieldErrors(input.error)).map(([k, v]) => `${k === 'email' ? 'EMAIL' : `--${k}`}: ${v}`).join('\n')}\n${USAGE}`);
    const { staff, welcomeUrl } = await addStaff({ db, config }, input.data, OPERATOR);
    console.log(`Added ${staff.email} (${staff.role}). Welcome link, valid once for 72 hours (also emailed):`);
    console.log(welcomeUrl);
  } else if (command === 'list') {
    const rows = await listStaff(db);
    if (!rows.length) console.log('No staff accounts yet. Add one with: npm run staff -- add EMAIL --role admin');
    for (const s of rows) {
      const last = toDate(s.last_login_at)?.toISOString() ?? 'never signed in';
      const state = s.disabled_at ? 'disabled' : s.password_hash ? 'active' : 'invited';
      console.log([s.email, s.name ?? '-', s.role, state, last].join('\t'));
    }
  } else {
    const address = staffEmail.safeParse(email);
    if (!address.success) fail(`EMAIL: ${address.error.issues[0].message}\n${USAGE}`);
    const staff = await disableStaff(db, address.data, OPERATOR);
    console.log(`Disabled ${staff.email}: their sessions and API tokens have ended.`);
  }
} catch (err) {
  if (err instanceof AppError) fail(err.message, 1);
  throw err;
} finally {
  await db.destroy();
}
