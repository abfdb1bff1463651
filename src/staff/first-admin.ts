import { SYSTEM } from '../audit/schema';
import type { Config } from '../config';
import type { Db } from '../db';
import { staffLinkUrl } from './links';
import { findStaffByEmail } from './queries';
import { addStaff, staffCount } from './service';

/** The account `npm start` makes outside production when there is none, so the README's two commands lead straight in. */
export const FIRST_ADMIN_EMAIL = 'admin@localhost';

/**
 * Lines for the start banner about the first admin. In production it only says how to
 * create one; elsewhere it creates `admin@localhost` and prints its welcome link on each
 * start until a password is set.
 */
export async function firstAdminNotice(db: Db, config: Config): Promise<string[]> {
  if (config.env === 'production') {
    if ((await staffCount(db)) > 0) return [];
    return ['No staff accounts yet. Create the first admin with:', '  npm run staff -- add you@example.com --role admin'];
  }
  if ((await staffCount(db)) === 0) {
    await addStaff({ db, config }, { email: FIRST_ADMIN_EMAIL, role: 'admin', name: 'First admin' }, SYSTEM);
  }
  const first = await findStaffByEmail(db, FIRST_ADMIN_EMAIL);
  if (!first || first.password_hash || first.disabled_at) return [];
  return [
    `Staff console: set the first admin's password at ${staffLinkUrl(config, first, 'staff-welcome')}`,
    '  (then add people with: npm run staff -- add EMAIL --role admin|editor|judge)',
  ];
}
