import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * A real HTTP server on 127.0.0.1 (port 0) that serves feeds the way publishers' servers do,
 * well or badly: with ETag and Last-Modified, as errors, slowly, or without end.
 */
export interface FeedServer {
  url(route: string): string;
  /** Serves `body` at `route`, answering 304 to a request that already has its ETag. */
  serveXml(route: string, body: string, options?: { etag?: string; lastModified?: string; contentType?: string }): void;
  serve(route: string, handler: (req: IncomingMessage, res: ServerResponse) => void): void;
  /** Requests received per route, in order, with the conditional headers they carried. */
  requests: { route: string; ifNoneMatch?: string; ifModifiedSince?: string }[];
  close(): Promise<void>;
}

export const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'feeds', name), 'utf8');

export async function startFeedServer(): Promise<FeedServer> {
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  const requests: FeedServer['requests'] = [];
  const server = createServer((req, res) => {
    const route = req.url ?? '/';
    requests.push({ route, ifNoneMatch: req.headers['if-none-match'], ifModifiedSince: req.headers['if-modified-since'] });
    const handler = routes.get(route);
    if (!handler) {
      res.writeHead(404).end('not found');
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: (route) => `http://127.0.0.1:${port}${route}`,
    requests,
    serve: (route, handler) => routes.set(route, handler),
    serveXml(route, body, options = {}) {
      routes.set(route, (req, res) => {
        if (options.etag && req.headers['if-none-match'] === options.etag) {
          res.writeHead(304, { etag: options.etag }).end();
          return;
        }
        const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/rss+xml; charset=utf-8' };
        if (options.etag) headers.etag = options.etag;
        if (options.lastModified) headers['last-modified'] = options.lastModified;
        res.writeHead(200, headers).end(body);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers with headers at once, then keeps the body back for `ms` (a stalled server). */
export const slowly = (ms: number) => (req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/rss+xml' });
  res.write('<?xml version="1.0"?><rss version="2.0"><channel>');
  const timer = setTimeout(() => res.end('</channel></rss>'), ms);
  req.on('close', () => clearTimeout(timer));
};

/** Streams `bytes` of well-formed padding without a Content-Length, as long as the client reads. */
export const endlessly = (bytes: number) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/rss+xml' });
  res.write('<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title><!--');
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let sent = 0;
  const pump = () => {
    while (sent < bytes && !res.destroyed) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end('--></channel></rss>');
  };
  res.on('error', () => {});
  pump();
};
