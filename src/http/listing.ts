import type { Request, Response } from 'express';
import { stringify } from 'csv-stringify';
import { z } from 'zod';

/** `?page=` (from 1) and `?pageSize=` (1 to 500), as every admin list takes them. */
export const pageQuery = z.object({
  page: z.coerce.number({ error: 'page must be a whole number' }).int().min(1, 'page starts at 1').default(1),
  pageSize: z.coerce.number({ error: 'pageSize must be a whole number' }).int().min(1).max(500, 'pageSize is at most 500').default(50),
});

export const wantsCsv = (req: Request) => req.query.format === 'csv' || (req.query.format === undefined && req.accepts(['application/json', 'text/csv']) === 'text/csv');

/**
 * A cell a spreadsheet would run as a formula (=, +, -, @, tab, CR) is prefixed with a
 * quote so it shows as text (OWASP's CSV injection advice).
 */
export function neutraliseCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = value instanceof Date ? value.toISOString() : String(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/**
 * Streams rows as CSV in the order they come, so a large export never sits whole in memory:
 * the next row is only asked for once the client has taken the ones before (backpressure),
 * and a client that goes away stops the reading.
 */
export async function sendCsvRows<T>(res: Response, fileName: string, columns: string[], rows: AsyncIterable<T>, toCells: (row: T) => unknown[]) {
  res.status(200);
  res.type('text/csv; charset=utf-8');
  res.attachment(fileName);
  const csv = stringify({ header: true, columns });
  csv.pipe(res);
  let gone = false;
  const left = new Promise<void>((resolve) => res.once('close', () => resolve(void (gone = true))));
  for await (const row of rows) {
    if (!csv.write(toCells(row).map(neutraliseCell))) await Promise.race([new Promise((resolve) => csv.once('drain', resolve)), left]);
    if (gone) return void csv.destroy();
  }
  csv.end();
}

/** sendCsvRows for a listing read by page: `nextPage(offset, limit)` until a short page. */
export function sendCsv<T>(
  res: Response,
  fileName: string,
  columns: string[],
  nextPage: (offset: number, limit: number) => Promise<T[]>,
  toCells: (row: T) => unknown[],
) {
  async function* pages() {
    const pageSize = 1000;
    for (let offset = 0; ; offset += pageSize) {
      const rows = await nextPage(offset, pageSize);
      yield* rows;
      if (rows.length < pageSize) return;
    }
  }
  return sendCsvRows(res, fileName, columns, pages(), toCells);
}
