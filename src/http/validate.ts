import type { z } from 'zod';
import { AppError, validationFailed } from '../errors';

/** The first message for each field of a failed parse, keyed by the field's name, in plain words. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? String(issue.path[0]) : '_';
    fields[key] ??= plainMessage(issue, key);
  }
  return fields;
}

// Zod's own wording ("Invalid input: expected string, received undefined") is for programmers.
const LIBRARY_WORDING = /^(Invalid|Too (small|big)|Expected|Unrecognized|Required)/;

/** A schema's own message as written; Zod's defaults turned into a sentence a person can act on. */
export function plainMessage(issue: z.core.$ZodIssue, field: string): string {
  if (!LIBRARY_WORDING.test(issue.message)) return issue.message;
  const name = field === '_' ? 'The input' : field;
  const i = issue as z.core.$ZodIssue & { expected?: string; input?: unknown; minimum?: number | bigint; maximum?: number | bigint; origin?: string; values?: unknown[]; format?: string; keys?: string[] };
  switch (i.code) {
    case 'invalid_type':
      if (i.input === undefined) return `${name} is required.`;
      return `${name} must be ${article(i.expected ?? 'value')}.`;
    case 'too_small':
      return i.origin === 'string' ? `${name} must have at least ${i.minimum} character${Number(i.minimum) === 1 ? '' : 's'}.` : i.origin === 'array' ? `${name} needs at least ${i.minimum} item${Number(i.minimum) === 1 ? '' : 's'}.` : `${name} must be at least ${i.minimum}.`;
    case 'too_big':
      return i.origin === 'string' ? `${name} must have at most ${i.maximum} characters.` : i.origin === 'array' ? `${name} takes at most ${i.maximum} items.` : `${name} must be at most ${i.maximum}.`;
    case 'invalid_value':
      return `${name} must be one of: ${(i.values ?? []).map(String).join(', ')}.`;
    case 'invalid_format':
      return `${name} is not a valid ${i.format === 'regex' ? 'value' : (i.format ?? 'value')}.`;
    case 'unrecognized_keys':
      return `Unknown field${(i.keys ?? []).length === 1 ? '' : 's'}: ${(i.keys ?? []).join(', ')}.`;
    default:
      return `${name} is not valid.`;
  }
}

const article = (type: string) => (type === 'array' ? 'a list' : type === 'object' ? 'an object' : /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

/** Parses input at the edge or throws validation_failed with a message per field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) throw validationFailed(fieldErrors(result.error));
  return result.data;
}

/**
 * A list's query string: a filter the list does not know answers 400 naming it (a typo must
 * not quietly return everything), then the known ones are parsed as input.
 */
export function parseQuery<S extends z.ZodObject>(schema: S, query: unknown): z.output<S> {
  const known = Object.keys(schema.shape);
  const unknown = Object.keys((query ?? {}) as Record<string, unknown>).filter((key) => !known.includes(key));
  if (unknown.length) {
    const fields = Object.fromEntries(unknown.map((key) => [key, `${key} is not a filter here. Use ${known.join(', ')}.`]));
    throw new AppError(400, 'unknown_filter', `Unknown filter: ${unknown.join(', ')}.`, fields);
  }
  return parseInput(schema, query);
}
