import { z } from 'zod';

/** Staff roles, from most to least power; each route names the roles it admits. */
export const STAFF_ROLES = ['admin', 'editor', 'judge'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 200;

export const staffEmail = z
  .string({ error: 'Enter an email address.' })
  .trim()
  .toLowerCase()
  .max(254, 'The email address is too long.')
  .pipe(z.email({ error: 'Enter a valid email address.' }));

export const staffRole = z.enum(STAFF_ROLES, { error: 'The role must be admin, editor or judge.' });

export const newStaff = z.object({
  email: staffEmail,
  role: staffRole,
  name: z.string().trim().max(120, 'The name is at most 120 characters.').optional(),
});

export const newPassword = z
  .object({
    password: z
      .string({ error: 'Choose a password.' })
      .min(PASSWORD_MIN, `Use at least ${PASSWORD_MIN} characters.`)
      .max(PASSWORD_MAX, `Use at most ${PASSWORD_MAX} characters.`),
    confirm: z.string({ error: 'Type the password again.' }),
  })
  .refine((v) => v.password === v.confirm, { path: ['confirm'], message: 'The two passwords do not match.' });

export const loginForm = z.object({
  email: z.string().trim().toLowerCase().max(254).default(''),
  password: z.string().max(PASSWORD_MAX).default(''),
});

export const codeForm = z.object({
  code: z
    .string()
    .trim()
    .max(40)
    .transform((s) => s.replace(/[\s-]/g, ''))
    .default(''),
});

export const apiTokenName = z.object({
  name: z.string({ error: 'Give the token a name.' }).trim().min(1, 'Give the token a name.').max(80, 'The name is at most 80 characters.'),
});
