import type { Server } from 'node:http';

/**
 * How long a client may take. Node's defaults let a request's headers arrive over a minute and
 * its body over five, so a few slow clients can hold every socket (slowloris). A request must
 * now be complete within requestMs, its headers within headersMs; an idle kept-alive
 * connection is closed after keepAliveMs.
 */
export interface ServerTimeouts {
  headersMs: number;
  requestMs: number;
  keepAliveMs: number;
}

export const SERVER_TIMEOUTS: ServerTimeouts = { headersMs: 20_000, requestMs: 30_000, keepAliveMs: 5_000 };

/** Sets the timeouts on a server; call it before `listen` (Node reads the checking interval then). */
export function applyServerTimeouts(server: Server, overrides: Partial<ServerTimeouts> = {}): Server {
  const t = { ...SERVER_TIMEOUTS, ...overrides };
  server.requestTimeout = t.requestMs;
  server.headersTimeout = Math.min(t.headersMs, t.requestMs);
  server.keepAliveTimeout = t.keepAliveMs;
  // Node checks the two request timeouts only this often (30 s by default, which could double
  // them); a real property of http.Server that @types/node leaves out.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(50, Math.min(5_000, Math.floor(server.headersTimeout / 4)));
  return server;
}
