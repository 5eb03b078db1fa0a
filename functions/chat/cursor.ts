import * as z from 'zod';

/** Where a history page left off: forward after a seq, or backward before one. */
export const SeqCursorSchema = z.union([
  z.object({ after: z.number().int().nonnegative() }),
  z.object({ before: z.number().int().positive() }),
]);
