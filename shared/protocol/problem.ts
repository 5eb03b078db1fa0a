import * as z from '../zod';
import { ErrorCode } from './errors';

/**
 * An RFC 9457 problem detail, as every HTTP API error returns it
 * (`Content-Type: application/problem+json`).
 */
export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().check(z.int()),
  detail: z.string(),
  code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]),
  requestId: z.string(),
});

export type Problem = z.infer<typeof ProblemSchema>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** @example problem({ status: 404, code: ErrorCode.NotFound, title: 'Not found', detail, requestId }) */
export function problem(fields: Omit<Problem, 'type'>): Problem {
  return { type: `urn:parley:problem:${fields.code.toLowerCase().replaceAll('_', '-')}`, ...fields };
}
