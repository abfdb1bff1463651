import { readdirSync } from 'node:fs';
import path from 'node:path';
import { csrfFrom, type TestApp } from './app';

/** The entry form as a browser uses it: open the page, post it multipart with its tokens. */

export type Agent = ReturnType<TestApp['agent']>;

export async function openForm(agent: Agent, slug: string, query = '') {
  const page = await agent.get(`/awards/${slug}/enter${query}`).expect(200);
  const submissionId = /name="submissionId" value="([a-f0-9]+)"/.exec(page.text)?.[1];
  return { page, csrf: csrfFrom(page.text), submissionId: submissionId! };
}

export function postEntryForm(agent: Agent, slug: string, fields: Record<string, string>, files: [Buffer, string][] = []) {
  const req = agent.post(`/awards/${slug}/entries`);
  for (const [name, value] of Object.entries(fields)) req.field(name, value);
  for (const [content, name] of files) req.attach('documents', content, name);
  return req;
}

export const countRows = async (t: TestApp, table: string) => Number((await t.db(table).count({ n: '*' }))[0].n);

/** Files left in DATA_DIR/uploads, incoming or kept. */
export function uploadedFileCount(t: TestApp): number {
  const dir = path.join(t.config.dataDir, 'uploads');
  const kept = readdirSync(dir).filter((f) => f !== 'incoming').length;
  return kept + readdirSync(path.join(dir, 'incoming')).length;
}
