/**
 * Fetches a feed over HTTP the way a good citizen does: a conditional GET (ETag and
 * Last-Modified), a time limit on the whole exchange, and a cap on the body checked while it
 * streams in, so a slow or enormous feed costs a bounded amount of time and memory.
 */

export interface FetchLimits {
  /** For the whole exchange, headers and body. */
  timeoutMs: number;
  maxBytes: number;
}

export const DEFAULT_FETCH_LIMITS: FetchLimits = { timeoutMs: 10_000, maxBytes: 5 * 1024 * 1024 };

export type FeedResponse =
  | { status: 'not_modified' }
  | { status: 'ok'; body: string; etag: string | null; lastModified: string | null };

/** A failure worth showing an admin as the feed's last error. */
export class FeedFetchError extends Error {}

const ACCEPT = 'application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5';

export async function fetchFeed(
  url: string,
  validators: { etag: string | null; lastModified: string | null },
  limits: FetchLimits = DEFAULT_FETCH_LIMITS,
  stop?: AbortSignal,
): Promise<FeedResponse> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new FeedFetchError(`timed out after ${seconds(limits.timeoutMs)}`)), limits.timeoutMs);
  const onStop = () => controller.abort(new FeedFetchError('stopped before the feed arrived'));
  stop?.addEventListener('abort', onStop, { once: true });
  try {
    const headers: Record<string, string> = { accept: ACCEPT, 'user-agent': 'Masthead feed reader' };
    if (validators.etag) headers['if-none-match'] = validators.etag;
    if (validators.lastModified) headers['if-modified-since'] = validators.lastModified;

    const response = await fetch(url, { headers, signal: controller.signal, redirect: 'follow' });
    if (response.status === 304) {
      await response.body?.cancel();
      return { status: 'not_modified' };
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new FeedFetchError(`the server answered HTTP ${response.status}`);
    }
    const declared = Number(response.headers.get('content-length'));
    if (declared > limits.maxBytes) {
      await response.body?.cancel();
      throw tooLarge(limits);
    }
    const bytes = await readCapped(response, limits, controller);
    return {
      status: 'ok',
      body: decode(bytes, response.headers.get('content-type')),
      etag: response.headers.get('etag'),
      lastModified: response.headers.get('last-modified'),
    };
  } catch (err) {
    throw asFetchError(err, controller.signal);
  } finally {
    clearTimeout(timer);
    stop?.removeEventListener('abort', onStop);
  }
}

async function readCapped(response: Response, limits: FetchLimits, controller: AbortController): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limits.maxBytes) {
      // Stop reading and drop the connection: the rest is never downloaded.
      controller.abort(tooLarge(limits));
      await reader.cancel().catch(() => {});
      throw tooLarge(limits);
    }
    chunks.push(value);
  }
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

/** The reason to show: ours when we aborted, the network's cause otherwise. */
function asFetchError(err: unknown, signal: AbortSignal): FeedFetchError {
  if (err instanceof FeedFetchError) return err;
  if (signal.aborted && signal.reason instanceof FeedFetchError) return signal.reason;
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return new FeedFetchError(`could not reach the server (${cause.code})`);
  return new FeedFetchError(`could not fetch the feed (${(cause?.message ?? (err as Error).message ?? 'unknown error').slice(0, 200)})`);
}
