import { toDate } from '../db';

/** "2026-12-02 09:30 UTC": the console's lists show instants in UTC, and say so. */
export const utcMinute = (value: unknown) => {
  const date = toDate(value);
  return date ? `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC` : null;
};

/** "under_review" → "under review". */
export const statusLabel = (status: string) => status.replace(/_/g, ' ');

/** The query string of the filters that are set, for links that keep them (pagination, export). */
export function queryString(values: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  return params.toString();
}
