import pino, { type DestinationStream } from 'pino';

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
