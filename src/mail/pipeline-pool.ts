import { isUnsent, openPipelineConnection, PipelineUnsupported, type PipelineConnection, type PipelineOptions } from './smtp-pipeline';

/**
 * Up to `size` pipelined connections (SEND_CONCURRENCY), each message on the least busy
 * one; a dropped connection is replaced on the next send. `send` resolves to null when the
 * server cannot be pipelined to (no PIPELINING, an AUTH it does not speak…): the caller
 * then sends that message, and every later one, another way.
 */
export interface PipelinePool {
  send(from: string, to: string, raw: Buffer): Promise<string | null>;
  close(): void;
}

export function createPipelinePool(options: PipelineOptions, size: number): PipelinePool {
  const open: PipelineConnection[] = [];
  let opening = 0;
  let unsupported = false;
  let closed = false;
  // Messages waiting for a connection being opened (at most `size` opens at a time).
  const waiting: { take: (c: PipelineConnection | null, err?: Error) => void }[] = [];

  function handOut(connection: PipelineConnection | null, err?: Error) {
    for (const w of waiting.splice(0)) w.take(connection, err);
  }

  async function openOne() {
    opening++;
    try {
      const connection = await openPipelineConnection(options);
      if (closed) connection.close();
      else open.push(connection);
      handOut(connection);
    } catch (err) {
      if (err instanceof PipelineUnsupported) unsupported = true;
      handOut(null, err instanceof PipelineUnsupported ? undefined : (err as Error));
    } finally {
      opening--;
    }
  }

  function pick(): Promise<PipelineConnection | null> {
    for (let i = open.length - 1; i >= 0; i--) if (open[i].closed) open.splice(i, 1);
    const idle = open.find((c) => c.load === 0);
    if (idle || open.length + opening >= size) {
      const least = open.reduce<PipelineConnection | null>((best, c) => (!best || c.load < best.load ? c : best), null);
      if (least) return Promise.resolve(least);
    }
    return new Promise((resolve, reject) => {
      waiting.push({ take: (c, err) => (err ? reject(err) : resolve(c)) });
      if (open.length + opening < size) void openOne();
    });
  }

  return {
    async send(from, to, raw) {
      if (unsupported) return null;
      if (closed) throw Object.assign(new Error('Transport closed'), { code: 'ECONNECTION' });
      // A message the server never saw goes again on another connection (a few times at most).
      for (let attempt = 1; ; attempt++) {
        const connection = await pick();
        if (!connection) return null;
        try {
          return await connection.send(from, to, raw);
        } catch (err) {
          if (!isUnsent(err) || attempt >= 3 || closed) throw err;
        }
      }
    },
    close() {
      closed = true;
      for (const c of open.splice(0)) c.close();
    },
  };
}
