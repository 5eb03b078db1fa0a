/**
 * Reads a local stack trace (`infra/local/trace.ts`) of one message: a
 * timeline, and for each invocation the number of serial round trips it made.
 */
import type { InvocationRecord, RequestRecord, TraceRecords } from '../infra/local/trace';
import type { FunctionName } from '../infra/topology';

/** The `@connections` call that hands a frame to a recipient. */
const POST = 'PostToConnection';

/**
 * A request's span as the function saw it (sent → answer in), when it made it; else as the stand-in
 * served it. The stand-ins share one thread and may serve one after the other what was sent together.
 */
export function spanOf(request: RequestRecord): { startedAt: number; endedAt: number } {
  return { startedAt: request.sentAt ?? request.startedAt, endedAt: request.answeredAt ?? request.endedAt };
}

/**
 * Requests in serial rounds: sorted by start, a request that starts before every request of the current
 * round has ended joins that round (they overlap in time: one round trip); any other starts the next.
 */
export function serialRounds(requests: ReadonlyArray<Pick<RequestRecord, 'startedAt' | 'endedAt'>>): number {
  let rounds = 0;
  let roundEnd = Number.NEGATIVE_INFINITY;
  for (const request of [...requests].sort((a, b) => a.startedAt - b.startedAt)) {
    if (request.startedAt < roundEnd) roundEnd = Math.max(roundEnd, request.endedAt);
    else {
      rounds += 1;
      roundEnd = request.endedAt;
    }
  }
  return rounds;
}

export interface InvocationHops {
  readonly invocation: InvocationRecord;
  readonly requests: readonly RequestRecord[];
  readonly rounds: number;
  /** Rounds before the first post to a connection began; undefined when it posted nothing. */
  readonly roundsBeforeFirstPost?: number;
}

/** Each invocation with the requests it made, in the order the invocations started. */
export function hopsByInvocation(records: TraceRecords): InvocationHops[] {
  return [...records.invocations]
    .sort((a, b) => a.startedAt - b.startedAt)
    .map((invocation) => {
      const requests = records.requests
        .filter((request) => request.invocationId === invocation.id)
        .sort((a, b) => spanOf(a).startedAt - spanOf(b).startedAt);
      const spans = requests.map(spanOf);
      const firstPost = requests.find((request) => request.operation === POST);
      const postAt = firstPost ? spanOf(firstPost).startedAt : undefined;
      return {
        invocation,
        requests,
        rounds: serialRounds(spans),
        ...(postAt === undefined
          ? {}
          : { roundsBeforeFirstPost: serialRounds(spans.filter((span) => span.endedAt <= postAt)) }),
      };
    });
}

/** The most rounds any invocation of a function made (and before its first post). */
export function roundsOf(hops: readonly InvocationHops[], name: FunctionName) {
  const mine = hops.filter((hop) => hop.invocation.functionName === name);
  return {
    invocations: mine.length,
    requests: Math.max(0, ...mine.map((hop) => hop.requests.length)),
    rounds: Math.max(0, ...mine.map((hop) => hop.rounds)),
    roundsBeforeFirstPost: Math.max(0, ...mine.map((hop) => hop.roundsBeforeFirstPost ?? 0)),
  };
}

const SERVICE_NAMES: Record<string, string> = {
  dynamodb: 'DynamoDB',
  sqs: 'SQS',
  s3: 'S3',
  apigateway: 'API Gateway',
};

/** A client-side moment to show in the timeline (the ack, each push). */
export interface ClientEvent {
  readonly at: number;
  readonly what: string;
}

/**
 * The trace as Markdown table rows, times in ms from `origin` (the send): who did what, from when to when
 * (a function's request: from sending it to having the answer), and when the stand-in served it.
 * Requests the local stack made itself (the SQS pollers) show as "Lambda poller".
 */
export function timelineRows(
  records: TraceRecords,
  origin: number,
  client: readonly ClientEvent[],
): string[] {
  const names = new Map(records.invocations.map((invocation) => [invocation.id, invocation.functionName]));
  const offset = (time: number) => {
    const ms = time - origin;
    return `${ms < 0 ? '-' : '+'}${Math.abs(ms).toFixed(1)}`;
  };
  const rows: Array<{ at: number; row: string }> = [
    ...client.map((event) => ({ at: event.at, row: `| ${offset(event.at)} | | client | ${event.what} | |` })),
    ...records.events.map((event) => ({
      at: event.at,
      row: `| ${offset(event.at)} | | ${SERVICE_NAMES[event.service] ?? event.service} | ${event.what} | |`,
    })),
    ...records.invocations.map((invocation) => {
      const waited = invocation.startedAt - invocation.requestedAt;
      return {
        at: invocation.startedAt,
        row: `| ${offset(invocation.startedAt)} | ${offset(invocation.endedAt)} | ${invocation.functionName} | invocation${waited >= 0.5 ? ` (waited ${waited.toFixed(1)} ms for an environment)` : ''} | |`,
      };
    }),
    ...records.requests.map((request) => {
      const who = request.invocationId
        ? (names.get(request.invocationId) ?? 'an earlier invocation')
        : 'Lambda poller';
      const span = spanOf(request);
      return {
        at: span.startedAt,
        row: `| ${offset(span.startedAt)} | ${offset(span.endedAt)} | ${who} | ${SERVICE_NAMES[request.service] ?? request.service} ${request.operation} | ${offset(request.startedAt)} – ${offset(request.endedAt)} |`,
      };
    }),
  ];
  return [
    '| from (ms) | to (ms) | who | what | served by the stand-in |',
    '|---|---|---|---|---|',
    ...rows.sort((a, b) => a.at - b.at).map((entry) => entry.row),
  ];
}
