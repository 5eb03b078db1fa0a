import * as z from '../../shared/zod';

/** Where a history page left off: forward after a seq, or backward before one. */
export const SeqCursorSchema = z.union([
  z.object({ after: z.number().check(z.int(), z.nonnegative()) }),
  z.object({ before: z.number().check(z.int(), z.positive()) }),
]);
