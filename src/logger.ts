import pino, { type DestinationStream } from 'pino';
import { scrubbed } from './http/error-handler';

/**
 * Structured JSON logs. Callers log ids and counts, never addresses, names or tokens;
 * the redaction below is a second line of defence for fields that slip through.
 * `destination` is standard output unless given (tests pass a stream they read).
 */
export function createLogger(level = 'info', destination?: DestinationStream) {
  const options = {
    level,
    base: undefined,
    redact: { paths: ['email', '*.email', 'name', '*.name', 'token', '*.token', 'to', '*.to'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type Logger = ReturnType<typeof createLogger>;

/**
 * An error nothing caught ends the process, but first as one fatal JSON line (addresses
 * blanked), flushed synchronously: the log stream writes asynchronously, and exiting at
 * once could drop the one line that says why the process died. SIGBUS and SIGSEGV cannot
 * be caught by JavaScript at all (see the README on disk errors).
 */
export function logFatalErrors(logger: Logger) {
  const fatal = (message: string) => (err: unknown) => {
    logger.fatal({ err: scrubbed(err) }, message);
    try {
      (logger as unknown as Record<symbol, { flushSync?: () => void }>)[pino.symbols.streamSym]?.flushSync?.();
    } catch {
      // Not ready or already closed: pino's exit hook writes what is left.
    }
    process.exit(1);
  };
  process.on('uncaughtException', fatal('uncaught exception'));
  process.on('unhandledRejection', fatal('unhandled rejection'));
}
