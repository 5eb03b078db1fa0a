import type { z } from 'zod';
import { ValidationError } from '../../errors';

/** What `encodeCursor` emits: base64url without padding. */
const CURSOR_PATTERN = /^[A-Za-z0-9_-]+$/;

/** An opaque paging cursor: a query's `LastEvaluatedKey`, as base64url JSON. */
export function encodeCursor(lastEvaluatedKey: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(lastEvaluatedKey)).toString('base64url');
}

/**
 * The start key a cursor stands for. `schema` pins the key to the query's own
 * partition: a client-made or foreign cursor would otherwise reach DynamoDB
 * as an `ExclusiveStartKey` it rejects (or, worse, accepts).
 */
export function decodeCursor<T extends Record<string, string>>(cursor: string, schema: z.ZodType<T>): T {
  if (!CURSOR_PATTERN.test(cursor)) throw new ValidationError('Invalid cursor');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw new ValidationError('Invalid cursor', { cause: error });
  }
  const parsed = schema.safeParse(decoded);
  if (!parsed.success) throw new ValidationError('Invalid cursor');
  return parsed.data;
}
