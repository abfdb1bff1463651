import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { checkHostWithoutLookup, FeedAddressError, pinnedLookup, type FeedAddressPolicy } from './feed-address';

/**
 * Fetches a feed over HTTP the way a good citizen does: a conditional GET (ETag and
 * Last-Modified), a time limit on the whole exchange, and a cap on the body checked while it
 * streams in, so a slow or enormous feed costs a bounded amount of time and memory. Every
 * connection, redirects included, goes only to an address the policy allows (feed-address.ts);
 * redirects are followed by hand so each hop is checked.
 */

export interface FetchLimits {
  /** For the whole exchange, redirects, headers and body. */
  timeoutMs: number;
  maxBytes: number;
}

export const DEFAULT_FETCH_LIMITS: FetchLimits = { timeoutMs: 10_000, maxBytes: 5 * 1024 * 1024 };

export const MAX_REDIRECTS = 5;

export type FeedResponse =
  | { status: 'not_modified' }
  | { status: 'ok'; body: string; etag: string | null; lastModified: string | null };

/** Why a fetch failed, for the log (users see only that the feed could not be fetched). */
export class FeedFetchError extends Error {}

const ACCEPT = 'application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5';
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export interface FetchOptions {
  addresses: FeedAddressPolicy;
  limits?: FetchLimits;
  stop?: AbortSignal;
}

export async function fetchFeed(
  url: string,
  validators: { etag: string | null; lastModified: string | null },
  options: FetchOptions,
): Promise<FeedResponse> {
  const limits = options.limits ?? DEFAULT_FETCH_LIMITS;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new FeedFetchError(`timed out after ${seconds(limits.timeoutMs)}`)), limits.timeoutMs);
  const onStop = () => controller.abort(new FeedFetchError('stopped before the feed arrived'));
  options.stop?.addEventListener('abort', onStop, { once: true });
  try {
    const headers: Record<string, string> = { accept: ACCEPT, 'accept-encoding': 'gzip, deflate, br', 'user-agent': 'Masthead feed reader' };
    if (validators.etag) headers['if-none-match'] = validators.etag;
    if (validators.lastModified) headers['if-modified-since'] = validators.lastModified;

    let target = new URL(url);
    for (let redirects = 0; ; redirects++) {
      const response = await get(target, headers, options.addresses, controller.signal);
      const location = response.headers.location;
      if (!REDIRECT_STATUSES.has(response.statusCode ?? 0) || !location) return await readResponse(response, limits);
      response.destroy();
      if (redirects === MAX_REDIRECTS) throw new FeedFetchError(`more than ${MAX_REDIRECTS} redirects`);
      target = redirectTarget(target, location);
    }
  } catch (err) {
    throw asFetchError(err, controller.signal);
  } finally {
    clearTimeout(timer);
    options.stop?.removeEventListener('abort', onStop);
  }
}

/** One GET, on a connection of its own (no pooled socket whose address went unchecked). */
function get(target: URL, headers: Record<string, string>, addresses: FeedAddressPolicy, signal: AbortSignal): Promise<IncomingMessage> {
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new FeedFetchError(`not an http or https address (${target.protocol})`);
  checkHostWithoutLookup(target, addresses);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(target, { headers, signal, agent: false, lookup: pinnedLookup(addresses) }, resolve);
    request.on('error', reject);
    request.end();
  });
}

function redirectTarget(from: URL, location: string): URL {
  try {
    return new URL(location, from);
  } catch {
    throw new FeedFetchError('redirected to an address that is not a URL');
  }
}

async function readResponse(response: IncomingMessage, limits: FetchLimits): Promise<FeedResponse> {
  const status = response.statusCode ?? 0;
  if (status === 304) {
    response.destroy();
    return { status: 'not_modified' };
  }
  if (status < 200 || status > 299) {
    response.destroy();
    throw new FeedFetchError(`the server answered HTTP ${status}`);
  }
  if (Number(response.headers['content-length']) > limits.maxBytes) {
    response.destroy();
    throw tooLarge(limits);
  }
  const bytes = await readCapped(response, limits);
  const header = (name: string) => {
    const value = response.headers[name];
    return (Array.isArray(value) ? value[0] : value) ?? null;
  };
  return { status: 'ok', body: decode(bytes, header('content-type')), etag: header('etag'), lastModified: header('last-modified') };
}

function decoderFor(encoding: string | undefined) {
  switch ((encoding ?? 'identity').trim().toLowerCase()) {
    case 'identity':
    case '':
      return null;
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip();
    case 'deflate':
      return zlib.createInflate();
    case 'br':
      return zlib.createBrotliDecompress();
    default:
      throw new FeedFetchError(`unsupported content encoding ${encoding}`);
  }
}

/** The body, decompressed, counted as it arrives: past the cap the connection is dropped and the rest never read. */
async function readCapped(response: IncomingMessage, limits: FetchLimits): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  const collect = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      total += chunk.length;
      if (total > limits.maxBytes) throw tooLarge(limits);
      chunks.push(chunk);
    }
  };
  const decoder = decoderFor(response.headers['content-encoding']);
  if (decoder) await pipeline(response, decoder, collect);
  else await pipeline(response, collect);
  return Buffer.concat(chunks);
}

/** The charset from Content-Type, else from the XML declaration, else UTF-8. */
function decode(bytes: Uint8Array, contentType: string | null): string {
  const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
  const charset = /charset="?([\w-]+)/i.exec(contentType ?? '')?.[1] ?? /^\s*<\?xml[^>]*encoding=["']([\w-]+)/i.exec(head)?.[1] ?? 'utf-8';
  try {
    return new TextDecoder(charset.toLowerCase()).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`);

const tooLarge = (limits: FetchLimits) => new FeedFetchError(`the feed is larger than ${formatBytes(limits.maxBytes)}`);

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / (1024 * 1024)) * 10) / 10} MB`;
  return `${Math.round(n / 1024)} KB`;
}

/** The reason for the log: ours when we aborted, the network's cause otherwise. */
function asFetchError(err: unknown, signal: AbortSignal): FeedFetchError {
  if (err instanceof FeedFetchError) return err;
  if (signal.aborted && signal.reason instanceof FeedFetchError) return signal.reason;
  const e = err as { code?: string; message?: string };
  if (err instanceof FeedAddressError) return new FeedFetchError(err.message);
  if (e?.code) return new FeedFetchError(`could not reach the server (${e.code})`);
  return new FeedFetchError(`could not fetch the feed (${(e?.message ?? 'unknown error').slice(0, 200)})`);
}
