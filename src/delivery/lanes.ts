/**
 * The sender's concurrency: lanes that each take the next message when their last one is
 * done, and a group commit that writes what the lanes finished together in one statement.
 */

/** Runs `work` over `items` with at most `limit` at a time; `lane` numbers the runner (0 … limit-1). */
export async function forEachConcurrently<T>(items: T[], limit: number, work: (item: T, index: number, lane: number) => Promise<void>) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async (_, lane) => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index, lane);
    }
  });
  await Promise.all(lanes);
}

export interface GroupCommit<T> {
  /** Resolves once `item` is written (or the writer has failed: see `error`). */
  record(item: T): Promise<void>;
  /** The first failed write; later items are not written (their rows wait for their lease). */
  readonly error: Error | null;
}

/**
 * Group commit: a lane hands in its outcome and waits until it is written. One writer at a
 * time; whatever lanes hand in while a write runs goes in the next one, so there is a write
 * per flush, not per message, and never more outcomes unwritten than there are lanes.
 */
export function groupCommit<T>(write: (group: T[]) => Promise<void>): GroupCommit<T> {
  let pending: { item: T; done: () => void }[] = [];
  let writing = false;
  let error: Error | null = null;
  async function drain() {
    writing = true;
    while (pending.length) {
      const group = pending;
      pending = [];
      try {
        if (!error) await write(group.map((p) => p.item));
      } catch (err) {
        error = err as Error;
      }
      for (const p of group) p.done();
    }
    writing = false;
  }
  return {
    get error() {
      return error;
    },
    record(item) {
      return new Promise<void>((done) => {
        pending.push({ item, done });
        if (!writing) void drain();
      });
    },
  };
}

export const sleep = (ms: number) => (ms > 0 ? new Promise<void>((r) => setTimeout(r, ms)) : Promise.resolve());
