import pino from 'pino';

/**
 * Structured JSON logs. Callers log ids and counts, never addresses, names or tokens;
 * the redaction below is a second line of defence for fields that slip through.
 */
export function createLogger(level = 'info', destination?: pino.DestinationStream) {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: ['email', '*.email', 'name', '*.name', 'token', '*.token', 'to', '*.to'], censor: '[redacted]' },
    },
    destination,
  );
}

export type Logger = ReturnType<typeof createLogger>;
