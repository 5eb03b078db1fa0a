import { z } from 'zod';
import { ValidationError } from '../errors';

/**
 * Opaque paging cursors: base64url JSON the client hands back unchanged.
 * The shape is checked on the way back in, so a forged cursor is a clear 400.
 */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T {
  try {
    return schema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch (error) {
    throw new ValidationError('cursor is not one this server issued', { cause: error });
  }
}

export const SeqCursorSchema = z.union([
  z.object({ after: z.number().int().nonnegative() }),
  z.object({ before: z.number().int().positive() }),
]);
