import { sortFailure } from './smtp-replies';

/**
 * What becomes of one message after one attempt, decided in one place for digests and for
 * transactional mail alike. Pure: the same reply, attempt and clock give the same answer.
 *
 * - accepted: the server took it.
 * - retry: temporary trouble (4xx, a network error, anything unplaceable); try again at `at`.
 * - failed: temporary trouble on the last attempt allowed; we give up on this message.
 * - bounced: the server refused this address for good (5xx); the address is at fault.
 */
export type DeliveryOutcome =
  | { kind: 'accepted'; response: string }
  | { kind: 'retry'; at: Date; reason: string }
  | { kind: 'failed'; reason: string }
  | { kind: 'bounced'; reason: string };

/** What one send attempt produced: the server's answer, or the error it threw. */
export type SendResult = { ok: true; response: string } | { ok: false; error: unknown };

export interface RetryPolicy {
  /** Attempts allowed in all; a temporary failure on this one is final. */
  maxAttempts: number;
  /** The first retry delay; it doubles with each attempt. */
  baseMs: number;
  /** The longest wait between attempts. */
  capMs: number;
}

/** The digest sender's rule: 10 attempts, 15 s doubling to at most 30 min. */
export const DIGEST_RETRY: RetryPolicy = { maxAttempts: 10, baseMs: 15_000, capMs: 30 * 60_000 };
/** Transactional mail's rule: 8 attempts, 5 s doubling to at most an hour. */
export const MAIL_JOB_RETRY: RetryPolicy = { maxAttempts: 8, baseMs: 5_000, capMs: 60 * 60_000 };

/** Exponential backoff after attempt number `attempt` (1 for the first): base, 2×base, 4×base … at most the cap. */
export function retryDelayMs(attempt: number, policy: Pick<RetryPolicy, 'baseMs' | 'capMs'>): number {
  return Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
}

export type FailureOutcome = Exclude<DeliveryOutcome, { kind: 'accepted' }>;

/** `attempt` counts from 1: the attempt that produced `result`. */
export function decideOutcome(result: SendResult, attempt: number, policy: RetryPolicy, now: Date): DeliveryOutcome {
  return result.ok ? { kind: 'accepted', response: result.response } : decideFailure(result.error, attempt, policy, now);
}

/** The outcome of an attempt that threw `error`. */
export function decideFailure(error: unknown, attempt: number, policy: RetryPolicy, now: Date): FailureOutcome {
  const sorted = sortFailure(error);
  if (sorted.kind === 'permanent') return { kind: 'bounced', reason: sorted.reply };
  if (attempt >= policy.maxAttempts) return { kind: 'failed', reason: `gave up after ${attempt} attempts: ${sorted.reply}` };
  return { kind: 'retry', at: new Date(now.getTime() + retryDelayMs(attempt, policy)), reason: sorted.reply };
}
