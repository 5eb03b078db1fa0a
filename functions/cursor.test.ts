import { describe, expect, it } from 'vitest';
import { CursorSchema } from '../shared/protocol/ids';
import * as z from '../shared/zod';
import { SeqCursorSchema } from './chat/cursor';
import { decodeCursor, encodeCursor } from './cursor';
import { ValidationError } from './errors';

describe('cursors', () => {
  it('give back exactly what was encoded', () => {
    const schema = z.tuple([z.number(), z.string()]);

    expect(decodeCursor(encodeCursor([1_740_830_400_000, 'd_abc']), schema)).toEqual([
      1_740_830_400_000,
      'd_abc',
    ]);
    expect(decodeCursor(encodeCursor({ before: 7 }), SeqCursorSchema)).toEqual({ before: 7 });
  });

  it('are strings a client may pass back in a query string unchanged', () => {
    const cursor = encodeCursor({ after: 12, note: 'ünïcödé / + =' });

    expect(CursorSchema.safeParse(cursor).success).toBe(true);
  });

  it.each([
    ['not base64 JSON', 'bm90IGpzb24'],
    ['the wrong shape', encodeCursor({ after: 'ten' })],
    ['a seq below the first', encodeCursor({ before: 0 })],
    ['a fractional seq', encodeCursor({ after: 1.5 })],
    ['empty', ''],
  ])('refuse %s with a validation error', (_what, cursor) => {
    expect(() => decodeCursor(cursor, SeqCursorSchema)).toThrow(ValidationError);
  });
});
