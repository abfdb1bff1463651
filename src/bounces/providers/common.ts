import type { z } from 'zod';
import { AppError, badRequest } from '../../errors';
import { jsonDepthWithin } from '../../http/body';
import { fieldErrors } from '../../http/validate';
import type { BounceReport } from '../rules';

/** What every webhook provider gets: the raw body (signatures are over its bytes) and the headers. */
export interface WebhookRequest {
  body: Buffer;
  header(name: string): string | undefined;
}

export interface WebhookProvider {
  /** Checks the request is the provider's and reads its reports; throws 401/403 (nothing stored) or 400/422. */
  receive(request: WebhookRequest): Promise<BounceReport[]>;
}

export const forbidden = (message = 'The signature does not match.') => new AppError(403, 'forbidden', message);

/** The body as JSON checked against `schema`: 400 when it is not JSON, 422 when it has the wrong shape. */
export function readJson<S extends z.ZodType>(body: Buffer, schema: S): z.output<S> {
  const text = body.toString('utf8');
  if (!jsonDepthWithin(text, 32)) throw badRequest('The body nests too deeply.');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('The body is not JSON.', 'invalid_json');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AppError(422, 'validation_failed', 'The report has the wrong shape.', fieldErrors(parsed.error));
  return parsed.data;
}

/** A date from a report, or now when it is missing or unreadable (the report itself still counts). */
export function dateOr(value: unknown, now: Date): Date {
  const date = typeof value === 'string' || typeof value === 'number' ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date : now;
}
