import { parse } from 'csv-parse/sync';
import type { Knex } from 'knex';
import type { Db } from '../db';
import { insertMailJobs } from '../mail/job-queries';
import { reserveSlotTimes } from '../delivery/rate';
import { listTopics } from '../topics/queries';
import {
  findSubscribersByEmails,
  findSuppressedHashes,
  insertSubscribers,
  insertSubscriberTopicsIgnoringDuplicates,
  updateSubscriber,
} from './queries';
import { emailAddress, personName, CONSENT } from './schema';
import { CONFIRMATION_MAIL, DEFAULT_TOPIC, emailHash, newNonce } from './service';
import { AppError, badRequest } from '../errors';
import { jsonDepthWithin } from '../http/body';

/**
 * Bringing in an existing list. Each row is checked on its own: a bad row is reported with
 * its line and reason and the rest go on. Addresses that unsubscribed, bounced or were
 * erased are never re-subscribed by an import. All writes happen in one transaction, in
 * chunks of set-based statements, so 100,000 rows take seconds and a failure leaves nothing.
 * A dry run reads exactly as the import would and writes nothing, so its counts are the
 * import's (repeats within the file are dropped before any write, so no chunk depends on
 * an earlier chunk's writes).
 */

export interface ImportRow {
  line: number;
  email: unknown;
  name?: unknown;
  topics?: unknown; // "a;b" in CSV, an array or string in JSON
}

export interface ImportOptions {
  status: 'pending' | 'confirmed';
  consentNote: string | null;
  /** Count what would happen; store and email nothing. */
  dryRun?: boolean;
  /** The person importing has said yes to emailing a large pending list (`&confirm=yes`, or the console's confirm step). */
  emailsApproved?: boolean;
  /** SEND_RATE: a pending import's confirmations take slots on the shared send clock (0: no limit). */
  sendRate?: number;
}

/** A pending import of more rows than this emails many people at once: it must be confirmed first. */
export const PENDING_IMPORT_CONFIRM_OVER = 100;

export interface ImportResult {
  added: number;
  updated: number;
  skipped: { line: number; reason: string }[];
}

/** Rows one import request takes; larger lists are sent in parts (each part answers in seconds). */
export const MAX_IMPORT_ROWS = 100_000;
// {"subscribers": [{"topics": [...]}]} is four levels; nothing an import needs goes deeper.
const MAX_JSON_DEPTH = 4;

const tooManyRows = () => new AppError(413, 'too_many_rows', `An import takes at most ${MAX_IMPORT_ROWS.toLocaleString('en-GB')} rows per request; split the list.`);

/** Counted before parsing: line breaks bound the rows, so a huge file is refused before any work. */
function countLines(text: string): number {
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}
const CHUNK = 1000;

export function rowsFromCsv(text: string): ImportRow[] {
  // The header, the rows, and a trailing line break.
  if (countLines(text) > MAX_IMPORT_ROWS + 2) throw tooManyRows();
  let records: { record: Record<string, string>; info: { lines: number } }[];
  let header: string[] = [];
  try {
    records = parse(text, {
      columns: (names: string[]) => (header = names.map((h) => h.trim().toLowerCase())),
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
    });
  } catch (err) {
    throw badRequest(`The CSV could not be read: ${(err as Error).message.split('\n')[0].slice(0, 200)}`, 'invalid_csv');
  }
  if (!header.includes('email')) throw badRequest('The CSV needs a header row with an "email" column (email,name,topics).', 'invalid_csv');
  return records.map(({ record, info }) => ({ line: info.lines, email: record.email, name: record.name, topics: record.topics }));
}

/** The JSON form of an import, from its text: depth checked before parsing, rows counted after. */
export function rowsFromJsonText(text: string): ImportRow[] {
  if (!jsonDepthWithin(text, MAX_JSON_DEPTH)) {
    throw badRequest(`The JSON is nested deeper than an import needs (at most ${MAX_JSON_DEPTH} levels: {"subscribers": [{"email": …, "topics": […]}]}).`, 'invalid_body');
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new AppError(400, 'invalid_json', 'The body is not valid JSON.');
  }
  return rowsFromJson(body);
}

export function rowsFromJson(body: unknown): ImportRow[] {
  const list = (body as { subscribers?: unknown })?.subscribers;
  if (!Array.isArray(list)) throw badRequest('The body must be {"subscribers": [{"email": …}]}.', 'invalid_body');
  if (list.length > MAX_IMPORT_ROWS) throw tooManyRows();
  return list.map((item, index) => {
    const row = (item && typeof item === 'object' ? item : {}) as Record<string, unknown>;
    return { line: index + 1, email: row.email, name: row.name, topics: row.topics };
  });
}

interface CleanRow {
  line: number;
  email: string;
  name: string | null;
  topicIds: number[];
}

export async function importSubscribers(db: Db, rows: ImportRow[], options: ImportOptions): Promise<ImportResult> {
  if (rows.length > MAX_IMPORT_ROWS) throw tooManyRows();
  if (options.status === 'pending' && !options.dryRun && !options.emailsApproved && rows.length > PENDING_IMPORT_CONFIRM_OVER) {
    throw new AppError(
      409,
      'confirmation_required',
      `This import would send a confirmation email to each of up to ${rows.length.toLocaleString('en-GB')} people. Send it again with &confirm=yes to go ahead.`,
    );
  }
  const topicIdBySlug = new Map((await listTopics(db)).map((t) => [t.slug, t.id]));
  const result: ImportResult = { added: 0, updated: 0, skipped: [] };

  // 1. Check every row on its own, and drop repeats within the file.
  const firstLineOf = new Map<string, number>();
  const clean: CleanRow[] = [];
  for (const row of rows) {
    const email = emailAddress.safeParse(typeof row.email === 'string' ? row.email : '');
    if (!email.success) {
      result.skipped.push({ line: row.line, reason: `invalid email: ${email.error.issues[0].message}` });
      continue;
    }
    const name = personName.safeParse(row.name === undefined || row.name === null ? '' : row.name);
    if (!name.success) {
      result.skipped.push({ line: row.line, reason: `invalid name: ${name.error.issues[0].message}` });
      continue;
    }
    const slugs = topicSlugs(row.topics);
    const unknown = slugs.filter((s) => !topicIdBySlug.has(s));
    if (unknown.length) {
      result.skipped.push({ line: row.line, reason: `unknown topic: ${unknown.join(', ')}` });
      continue;
    }
    const earlier = firstLineOf.get(email.data);
    if (earlier !== undefined) {
      result.skipped.push({ line: row.line, reason: `duplicate of line ${earlier}` });
      continue;
    }
    firstLineOf.set(email.data, row.line);
    const wanted = slugs.length ? slugs : [DEFAULT_TOPIC];
    clean.push({ line: row.line, email: email.data, name: name.data, topicIds: wanted.map((s) => topicIdBySlug.get(s)!) });
  }

  // 2. Write in chunks, inside one transaction (a dry run only reads, so it takes no write lock).
  const now = new Date();
  const write = !options.dryRun;
  const confirmations: number[] = []; // new pending subscribers, each owed a confirmation email
  const run = async (trx: Db | Knex.Transaction) => {
    for (let i = 0; i < clean.length; i += CHUNK) {
      const chunk = clean.slice(i, i + CHUNK);
      const existing = new Map((await findSubscribersByEmails(trx, chunk.map((r) => r.email))).map((s) => [s.email, s]));
      const suppressed = await findSuppressedHashes(trx, chunk.map((r) => emailHash(r.email)));

      const fresh: CleanRow[] = [];
      const topicPairs: { subscriber_id: number; topic_id: number }[] = [];
      for (const row of chunk) {
        const known = existing.get(row.email);
        if (known?.status === 'unsubscribed' || known?.status === 'bounced') {
          result.skipped.push({ line: row.line, reason: known.status });
        } else if (!known && suppressed.has(emailHash(row.email))) {
          result.skipped.push({ line: row.line, reason: 'erased' });
        } else if (known) {
          const patch: Record<string, unknown> = {};
          if (row.name && !known.name) patch.name = row.name;
          if (options.status === 'confirmed' && known.status === 'pending') {
            Object.assign(patch, confirmedConsent(options, now), { token_nonce: newNonce() });
          }
          if (write && Object.keys(patch).length) await updateSubscriber(trx, known.id, { ...patch, updated_at: now });
          for (const topic_id of row.topicIds) topicPairs.push({ subscriber_id: known.id, topic_id });
          result.updated++;
        } else {
          fresh.push(row);
        }
      }

      if (fresh.length && write) {
        await insertSubscribers(
          trx,
          fresh.map((row) => ({
            email: row.email,
            name: row.name,
            token_nonce: newNonce(),
            consent_at: now,
            consent_version: CONSENT.version,
            consent_source: 'import',
            consent_note: options.consentNote,
            status: options.status,
            confirmation_sent_at: options.status === 'pending' ? now : null,
            confirmed_at: options.status === 'confirmed' ? now : null,
            unsubscribed_at: null,
            bounced_at: null,
            created_at: now,
            updated_at: now,
          })),
        );
        const ids = new Map((await findSubscribersByEmails(trx, fresh.map((r) => r.email))).map((s) => [s.email, s.id]));
        for (const row of fresh) for (const topic_id of row.topicIds) topicPairs.push({ subscriber_id: ids.get(row.email)!, topic_id });
        if (options.status === 'pending') for (const row of fresh) confirmations.push(ids.get(row.email)!);
      }
      result.added += fresh.length;
      for (let j = 0; write && j < topicPairs.length; j += 500) {
        await insertSubscriberTopicsIgnoringDuplicates(trx, topicPairs.slice(j, j + 500));
      }
    }
    if (write) await queueConfirmations(trx as Db, confirmations, options.sendRate ?? 0, now);
  };
  await (write ? db.transaction(run) : run(db));
  result.skipped.sort((a, b) => a.line - b.line);
  return result;
}

/**
 * One confirmation job per new pending subscriber, each due at its own slot on the shared
 * send clock (SEND_RATE), so a big import's emails go out at the sender's pace, in turn with
 * digests, not all at once. Reserved last, so the clock's row is held only for these inserts.
 */
async function queueConfirmations(trx: Db, subscriberIds: number[], sendRate: number, now: Date) {
  const slots = await reserveSlotTimes(trx, sendRate, subscriberIds.length, now);
  await insertMailJobs(trx, subscriberIds.map((subscriber_id, i) => ({ kind: CONFIRMATION_MAIL, subscriber_id, run_after: slots[i] })), now);
}

function confirmedConsent(options: ImportOptions, now: Date) {
  return {
    status: 'confirmed',
    confirmed_at: now,
    consent_at: now,
    consent_source: 'import',
    consent_version: CONSENT.version,
    consent_note: options.consentNote,
  };
}

/** Topic slugs from "a;b" (CSV) or ["a","b"] (JSON); [] for none. */
function topicSlugs(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(';') : [String(value)];
  return [...new Set(list.map((s) => String(s).trim().toLowerCase()).filter(Boolean))];
}
