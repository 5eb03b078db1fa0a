import type * as z from '../../shared/zod';
import { InvalidJsonError, ValidationError } from '../errors';

/** Parses JSON text, turning a syntax error into INVALID_JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidJsonError(undefined, { cause: error });
  }
}

/** Validates with a schema, turning its issues into one VALIDATION_FAILED message. */
export function parseWith<T extends z.ZodMiniType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const message = result.error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
  throw new ValidationError(message, { cause: result.error });
}
