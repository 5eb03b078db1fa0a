/**
 * A record of what the local stack did, for following one message hop by hop:
 * every Lambda invocation (function, environment, when it was asked for, ran
 * and ended) and every request the stand-ins served (service, operation, when
 * it came and was answered, and which invocation made it).
 *
 * Attribution is exact, not guessed from timing: each execution environment
 * runs its invocation in an async context, and every HTTP request made in
 * that context carries `{invocation id}/{n}` in {@link INVOCATION_HEADER} (see
 * `lambda-worker.mjs`). A request without it came from the local stack itself
 * (the SQS pollers, a test's own client).
 *
 * A request has two spans: when the stand-in served it, and when the function
 * sent it and had the answer. The second is the function's own view: the
 * stand-ins share one thread, and requests a function sends together can be
 * served one after the other.
 *
 * Times are `performance.now()` of the local stack's process, the clock the
 * gateways and a benchmark in the same process share.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { FunctionName } from '../topology';

/** The header that names the invocation a request was made in. */
export const INVOCATION_HEADER = 'x-parley-invocation';

export type TracedService = 'dynamodb' | 'sqs' | 's3' | 'apigateway';

export interface InvocationRecord {
  readonly id: string;
  readonly functionName: FunctionName;
  /** When the gateway or poller asked for it; it may wait for a free environment. */
  readonly requestedAt: number;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly ok: boolean;
}

export interface RequestRecord {
  readonly service: TracedService;
  readonly operation: string;
  /** When the stand-in got the request and answered it. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly status: number;
  /** The invocation that made it; undefined for the local stack's own requests. */
  readonly invocationId?: string;
  /** When the invocation sent it and had the whole answer (its own view), if it made it. */
  readonly sentAt?: number;
  readonly answeredAt?: number;
}

/** An execution environment's note of one request of an invocation, in ms since the epoch. */
export interface RequestTiming {
  /** The request's number within the invocation, as named in its header. */
  readonly n: number;
  readonly sentAt: number;
  readonly answeredAt?: number;
}

/** Something a gateway did that is no request to a stand-in: a frame in, a reply out. */
export interface EventRecord {
  readonly service: TracedService;
  readonly what: string;
  readonly at: number;
}

export interface TraceRecords {
  readonly invocations: readonly InvocationRecord[];
  readonly requests: readonly RequestRecord[];
  readonly events: readonly EventRecord[];
}

export class Trace {
  private recording = false;
  private invocations: InvocationRecord[] = [];
  private requests: Array<RequestRecord & { key?: string }> = [];
  private events: EventRecord[] = [];
  private timings = new Map<string, RequestTiming>();

  /** Forgets what was recorded and records from now on. */
  start(): void {
    this.invocations = [];
    this.requests = [];
    this.events = [];
    this.timings = new Map();
    this.recording = true;
  }

  /** Stops recording and returns what was recorded. */
  stop(): TraceRecords {
    this.recording = false;
    const requests = this.requests.map((request) => {
      const timing = request.key === undefined ? undefined : this.timings.get(request.key);
      const { key: _key, ...record } = request;
      if (!timing) return record;
      return {
        ...record,
        sentAt: timing.sentAt - performance.timeOrigin,
        ...(timing.answeredAt === undefined
          ? {}
          : { answeredAt: timing.answeredAt - performance.timeOrigin }),
      };
    });
    return { invocations: this.invocations, requests, events: this.events };
  }

  get isRecording(): boolean {
    return this.recording;
  }

  invocation(record: InvocationRecord): void {
    if (this.recording) this.invocations.push(record);
  }

  /** What an execution environment noted of the requests of one invocation. */
  requestTimings(invocationId: string, timings: readonly RequestTiming[]): void {
    if (!this.recording) return;
    for (const timing of timings) this.timings.set(`${invocationId}/${timing.n}`, timing);
  }

  event(service: TracedService, what: string): void {
    if (this.recording) this.events.push({ service, what, at: performance.now() });
  }

  /**
   * Records a request a stand-in serves, once its response is sent. A request answered while recording is
   * kept even if it came in before (a long poll that returns the traced message).
   */
  request(
    service: TracedService,
    operation: string,
    request: IncomingMessage,
    response: ServerResponse,
  ): void {
    const startedAt = performance.now();
    const header = request.headers[INVOCATION_HEADER];
    const key = Array.isArray(header) ? header[0] : header;
    const invocationId = key?.split('/')[0];
    response.once('finish', () => {
      if (!this.recording) return;
      this.requests.push({
        service,
        operation,
        startedAt,
        endedAt: performance.now(),
        status: response.statusCode,
        ...(invocationId && key ? { invocationId, key } : {}),
      });
    });
  }
}
