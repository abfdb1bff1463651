/**
 * A background task run at start and then every interval, one pass at a time (a pass
 * asked for while one runs joins it). Stopping aborts the pass's signal and waits for it.
 */
export function createPeriodicTask(options: { intervalMs: number; run: (signal: AbortSignal) => Promise<void>; onError: (err: unknown) => void }) {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stop = new AbortController();

  function runOnce(): Promise<void> {
    if (running) return running;
    running = (async () => {
      try {
        await options.run(stop.signal);
      } catch (err) {
        options.onError(err);
      } finally {
        running = null;
      }
    })();
    return running;
  }

  return {
    start() {
      stop = new AbortController();
      timer = setInterval(() => void runOnce(), options.intervalMs);
      timer.unref();
      void runOnce();
    },
    /** Runs a pass now and waits for it; for tests and the CLI. */
    runOnce,
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      stop.abort();
      while (running) await running;
    },
  };
}
