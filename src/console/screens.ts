import type { StaffRole } from '../staff/schema';

/**
 * The console's screens, in navigation order, with the roles that may open each. The
 * navigation shows a person only what their role allows; each screen's routes check
 * the same roles (requireRole), so a hidden link is never the only guard.
 */
export interface Screen {
  path: string;
  label: string;
  roles: StaffRole[];
}

export const EDITORS: StaffRole[] = ['admin', 'editor'];
export const ADMINS: StaffRole[] = ['admin'];
export const JUDGES: StaffRole[] = ['admin', 'judge'];

// Screens are listed here as they are built.
export const SCREENS: Screen[] = [
  { path: '/admin', label: 'Dashboard', roles: EDITORS },
  { path: '/admin/entries', label: 'Entries', roles: EDITORS },
  { path: '/admin/programmes', label: 'Programmes', roles: EDITORS },
  { path: '/admin/subscribers', label: 'Subscribers', roles: EDITORS },
  { path: '/admin/articles', label: 'Articles', roles: EDITORS },
  { path: '/admin/feeds', label: 'Feeds', roles: EDITORS },
  { path: '/admin/digests', label: 'Digests', roles: EDITORS },
  { path: '/admin/schedules', label: 'Schedules', roles: EDITORS },
  { path: '/admin/judging', label: 'Judging', roles: JUDGES },
  { path: '/admin/staff', label: 'Staff', roles: ADMINS },
  { path: '/admin/audit', label: 'Audit log', roles: ADMINS },
  { path: '/admin/account', label: 'My account', roles: ['admin', 'editor', 'judge'] },
];

export function navigationFor(role: StaffRole, currentPath: string) {
  return SCREENS.filter((s) => s.roles.includes(role)).map((s) => ({
    ...s,
    current: s.path === '/admin' ? currentPath === '/admin' : currentPath === s.path || currentPath.startsWith(s.path + '/'),
  }));
}

/** Where a role lands after signing in. */
export const homeFor = (role: StaffRole) => (role === 'judge' ? '/admin/judging' : '/admin');
