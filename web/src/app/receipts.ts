/** A member's receipt marks: the last `seq` their devices got, and the last they read. */
export interface Marks {
  readonly delivered: number;
  readonly read: number;
}

/**
 * The marks to keep when new ones come in: each only moves forward. Receipt pushes travel as separate
 * fan-out jobs and may arrive out of order or twice (a job is retried), and a list read a moment ago can
 * be older than a push already applied: an older value never takes a mark back.
 *
 * @example
 * receipts[userId] = raiseMarks(receipts[userId], { delivered: frame.delivered, read: frame.read });
 */
export function raiseMarks(known: Marks | undefined, incoming: Marks): Marks {
  const read = Math.max(known?.read ?? 0, incoming.read);
  return { read, delivered: Math.max(known?.delivered ?? 0, incoming.delivered, read) };
}
