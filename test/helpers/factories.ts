import type { TestApp } from './app';

/** Builders for what tests need, made through the public and admin APIs like a user would. */

export const statementOf = (words: number) => Array.from({ length: words }, (_, i) => `word${i}`).join(' ');

let programmeCounter = 0;

export async function createProgramme(t: TestApp, overrides: Record<string, unknown> = {}) {
  programmeCounter++;
  const body = {
    slug: `test-awards-${programmeCounter}`,
    code: `TA${String(programmeCounter).padStart(2, '0')}`,
    name: `Test Awards ${programmeCounter}`,
    description: 'Awards for testing.',
    opensAt: new Date(Date.now() - 86_400_000).toISOString(),
    closesAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    timeZone: 'Europe/London',
    categories: [
      { slug: 'best-bank', name: 'Best Bank', description: 'The best bank.' },
      { slug: 'best-fintech', name: 'Best Fintech', description: 'The best fintech.' },
    ],
    ...overrides,
  };
  const response = await t.admin('post', '/api/admin/awards').send(body);
  if (response.status !== 201) throw new Error(`programme not created: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as { slug: string; code: string; closesAt: string; categories: { slug: string }[] };
}

export const entryFields = (overrides: Record<string, string> = {}) => ({
  category: 'best-bank',
  organisation: 'Northwind Bank',
  nominee: 'The Payments Team',
  country: 'GB',
  website: 'https://northwind.example',
  contactName: 'Priya Shah',
  jobTitle: 'Head of Communications',
  contactEmail: 'priya@northwind.example',
  contactPhone: '+44 20 7946 0000',
  statement: statementOf(60),
  consent: 'on',
  ...overrides,
});

/** A 1×1 PNG, a minimal PDF and a Windows executable header: real magic bytes for content checks. */
export const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f80f00000101000518d84e0000000049454e44ae426082',
  'hex',
);
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
export const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(126, 0), Buffer.from('PE\0\0'), Buffer.alloc(256, 1)]);
