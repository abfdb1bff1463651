/**
 * Sorting what the mail server (or the network) said about one message. Temporary
 * trouble — a 4xx reply such as 421/450/451/454, a refused or dropped connection, a
 * timeout — means try again later; a 5xx reply means this address will not take mail.
 * The reply code decides; an enhanced status (RFC 3463, e.g. `5.1.1`) only decides when
 * there is no reply code, as when a relay reports a rejection in an error's text.
 */
export type Outcome = { kind: 'temporary' | 'permanent'; reply: string };

const TEMPORARY_NETWORK_CODES = new Set(['ECONNECTION', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ESOCKET', 'EPIPE', 'EDNS', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPROTOCOL', 'ECLOSED']);

export function sortFailure(err: unknown): Outcome {
  const e = err as { responseCode?: number; response?: string; code?: string; message?: string };
  const reply = String(e?.response ?? e?.message ?? err).replace(/\s+/g, ' ').slice(0, 500);
  if (typeof e?.responseCode === 'number') {
    if (e.responseCode >= 500 && e.responseCode < 600) return { kind: 'permanent', reply };
    return { kind: 'temporary', reply };
  }
  if (e?.code && TEMPORARY_NETWORK_CODES.has(e.code)) return { kind: 'temporary', reply };
  if (/^5\.\d{1,3}\.\d{1,3}\b/.test(reply)) return { kind: 'permanent', reply };
  // Anything we cannot place is retried: losing a message is worse than trying again.
  return { kind: 'temporary', reply };
}
