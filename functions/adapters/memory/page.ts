import type { Page } from '../../../shared/protocol/resources';
import * as z from '../../../shared/zod';
import { decodeCursor, encodeCursor } from '../../cursor';
import { ValidationError } from '../../errors';

const CursorSchema = z.strictObject({ list: z.string(), after: z.string() });

/**
 * A page of `sorted` after the cursor's position, with DynamoDB's `Limit`
 * semantics: a full page carries a cursor even when nothing follows it.
 * `list` names the listing, so a cursor from another one is refused as the
 * table adapters refuse a start key outside their partition.
 */
export function pageOf<T>(
  sorted: readonly T[],
  sortKey: (item: T) => string,
  request: { list: string; limit: number; cursor?: string | undefined; accepts?: (after: string) => boolean },
): Page<T> {
  const after = request.cursor === undefined ? undefined : decode(request.cursor, request.list);
  if (after !== undefined && request.accepts && !request.accepts(after))
    throw new ValidationError('Invalid cursor');
  const start = after === undefined ? 0 : sorted.findIndex((item) => sortKey(item) > after);
  const items = start === -1 ? [] : sorted.slice(start, start + request.limit);
  const last = items.at(-1);
  return {
    items,
    ...(last !== undefined && items.length === request.limit
      ? {
          next: encodeCursor({ list: request.list, after: sortKey(last) }),
        }
      : {}),
  };
}

/** Code-unit order, as DynamoDB sorts ASCII keys. */
export function byKey<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const left = key(a);
    const right = key(b);
    if (left === right) return 0;
    return left < right ? -1 : 1;
  };
}

function decode(cursor: string, list: string): string {
  const position = decodeCursor(cursor, CursorSchema);
  if (position.list !== list) throw new ValidationError('Invalid cursor: pass back one this server issued');
  return position.after;
}
