import { generate } from 'otplib';
import request from 'supertest';
import { OPERATOR } from '../../src/audit/schema';
import { findStaffByEmail, type StaffRow } from '../../src/staff/queries';
import type { StaffRole } from '../../src/staff/schema';
import { addStaff, setStaffPassword } from '../../src/staff/service';
import { csrfFrom, type TestApp } from './app';

export const STAFF_PASSWORD = 'correct horse battery staple';

/** A staff account with a password set, made through the same service the CLI uses. */
export async function createStaff(t: TestApp, email: string, role: StaffRole, password = STAFF_PASSWORD): Promise<StaffRow> {
  const { staff } = await addStaff({ db: t.db, config: t.config }, { email, role }, OPERATOR);
  await setStaffPassword(t.db, staff, password, OPERATOR);
  return (await findStaffByEmail(t.db, email))!;
}

export type Agent = ReturnType<typeof request.agent>;

/** Posts the sign-in form as a browser would: GET the page for its CSRF token, then POST. */
export async function postLogin(agent: Agent, fields: Record<string, string>) {
  const page = await agent.get('/admin/login');
  return agent.post('/admin/login').type('form').send({ _csrf: csrfFrom(page.text), ...fields });
}

/** A cookie-keeping client signed in to the console (with a TOTP code when the account has one). */
export async function signIn(t: TestApp, email: string, password = STAFF_PASSWORD, totpSecret?: string): Promise<Agent> {
  const agent = t.agent();
  const first = await postLogin(agent, { email, password });
  if (first.status !== 303) throw new Error(`sign-in failed with ${first.status}`);
  if (totpSecret) {
    const second = await postLogin(agent, { code: await generate({ secret: totpSecret }) });
    if (second.status !== 303) throw new Error(`code step failed with ${second.status}`);
  }
  return agent;
}

/** Submits a console form found on `pagePath` (its CSRF token) to `action`. */
export async function submitForm(agent: Agent, pagePath: string, action: string, fields: Record<string, string | string[]>) {
  const page = await agent.get(pagePath);
  return agent.post(action).type('form').send({ _csrf: csrfFrom(page.text), ...fields });
}
