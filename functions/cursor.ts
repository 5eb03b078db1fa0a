import type * as z from '../shared/zod';
import { ValidationError } from './errors';

/** What `encodeCursor` emits: base64url without padding. */
const CURSOR_PATTERN = /^[A-Za-z0-9_-]+$/;

/**
 * Opaque paging cursors: base64url JSON the client hands back unchanged. Use
 * cases and adapters alike encode their position with it.
 */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * The position a cursor stands for. `schema` pins its shape (and, for a
 * table query, its partition): a client-made or foreign cursor is a clear
 * VALIDATION_FAILED rather than a start key DynamoDB rejects or, worse, accepts.
 */
export function decodeCursor<T>(cursor: string, schema: z.ZodMiniType<T>): T {
  if (!CURSOR_PATTERN.test(cursor))
    throw new ValidationError('Invalid cursor: pass back one this server issued');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw new ValidationError('Invalid cursor: pass back one this server issued', { cause: error });
  }
  const parsed = schema.safeParse(decoded);
  if (!parsed.success)
    throw new ValidationError('Invalid cursor: pass back one this server issued', { cause: parsed.error });
  return parsed.data;
}
