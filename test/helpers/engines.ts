import { describe } from 'node:test';

/**
 * The database engines a suite runs on: SQLite always, PostgreSQL when TEST_DATABASE_URL
 * is set. TEST_ENGINE=postgres (CI's second pass) runs only PostgreSQL.
 */
export type Engine = { name: 'sqlite' } | { name: 'postgres'; url: string };

export function enginesUnderTest(): { engine: Engine | null; name: string; skip?: string }[] {
  const url = process.env.TEST_DATABASE_URL;
  const only = process.env.TEST_ENGINE;
  const list: { engine: Engine | null; name: string; skip?: string }[] = [];
  if (only !== 'postgres') list.push({ engine: { name: 'sqlite' }, name: 'sqlite' });
  if (url) list.push({ engine: { name: 'postgres', url }, name: 'postgres' });
  else list.push({ engine: null, name: 'postgres', skip: 'PostgreSQL suite skipped: TEST_DATABASE_URL is not set' });
  return list;
}

/** `describe` once per engine; the PostgreSQL copy is skipped, in one line, without TEST_DATABASE_URL. */
export function describeEachEngine(title: string, body: (engine: Engine) => void) {
  for (const { engine, name, skip } of enginesUnderTest()) {
    if (!engine) describe(`${title} [${name}]`, { skip }, () => {});
    else describe(`${title} [${name}]`, () => body(engine));
  }
}
