import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { ErrorCode, HTTP_STATUS_BY_CODE } from '../../shared/protocol/errors';
import { PROBLEM_CONTENT_TYPE, ProblemSchema } from '../../shared/protocol/problem';
import { InMemoryMetrics } from '../adapters/memory/memory-metrics';
import {
  ForbiddenError,
  LimitReachedError,
  NotFoundError,
  RateLimitedError,
  SEND_IN_PROGRESS_RETRY_AFTER_IN_SECONDS,
  SendInProgressError,
  UNAVAILABLE_RETRY_AFTER_IN_SECONDS,
  ValidationError,
} from '../errors';
import { httpErrorResult, jsonResult, problemResult } from './http-response';

const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const metrics = new InMemoryMetrics();

describe('jsonResult', () => {
  it('answers JSON that is never cached', () => {
    const result = jsonResult(200, { userId: 'alice' });

    expect(result.statusCode).toBe(200);
    expect(result.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    expect(JSON.parse(result.body as string)).toEqual({ userId: 'alice' });
  });
});

describe('problemResult', () => {
  it.each(Object.values(ErrorCode))('answers %s as problem+json with its HTTP status', (code) => {
    const result = problemResult(code, 'Something about it', 'req-1');

    expect(result.statusCode).toBe(HTTP_STATUS_BY_CODE[code]);
    expect(result.headers).toMatchObject({
      'content-type': PROBLEM_CONTENT_TYPE,
      'cache-control': 'no-store',
    });
    const body = ProblemSchema.parse(JSON.parse(result.body as string));
    expect(body).toMatchObject({
      status: HTTP_STATUS_BY_CODE[code],
      code,
      detail: 'Something about it',
      requestId: 'req-1',
    });
    expect(body.title.length).toBeGreaterThan(0);
  });

  it('uses application/problem+json', () => {
    expect(problemResult(ErrorCode.NotFound, 'x', 'r').headers?.['content-type']).toBe(
      'application/problem+json',
    );
  });
});

describe('httpErrorResult', () => {
  it('counts a refused rate and a reached cap, and no other refusal', () => {
    const counted = new InMemoryMetrics();
    httpErrorResult(new RateLimitedError(3), 'r1', logger, counted);
    httpErrorResult(new LimitReachedError('friendsPerUser', 5000, 'Too many friends'), 'r2', logger, counted);
    httpErrorResult(new NotFoundError('No such user'), 'r3', logger, counted);

    expect(counted.total('rateLimitRefusals')).toBe(1);
    expect(counted.total('capsReached')).toBe(1);
  });

  it.each([
    [new ValidationError('messageId: required'), 400],
    [new ForbiddenError('You are not a member of this conversation'), 403],
    [new NotFoundError('No such account'), 404],
  ])('answers %s with its status and message', (error, status) => {
    const result = httpErrorResult(error, 'req-2', logger, metrics);

    expect(result.statusCode).toBe(status);
    expect(JSON.parse(result.body as string)).toMatchObject({ code: error.code, detail: error.message });
  });

  it('tells when to retry a send in progress and a refused rate, with Retry-After', () => {
    const inProgress = httpErrorResult(new SendInProgressError(), 'req-4', logger, metrics);
    expect(inProgress.statusCode).toBe(409);
    expect(inProgress.headers?.['retry-after']).toBe(String(SEND_IN_PROGRESS_RETRY_AFTER_IN_SECONDS));
    expect(httpErrorResult(new RateLimitedError(42), 'req-5', logger, metrics).headers?.['retry-after']).toBe(
      '42',
    );
    expect(httpErrorResult(new ForbiddenError('no'), 'req-6', logger, metrics).headers).not.toHaveProperty(
      'retry-after',
    );
  });

  it.each([
    [
      'a service that refuses connections',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
    ],
    ['a dropped connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    [
      'a service failing on its side',
      Object.assign(new Error('InternalServerError'), { $metadata: { httpStatusCode: 500 } }),
    ],
    [
      'throttling',
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $retryable: { throttling: true },
        $metadata: { httpStatusCode: 400 },
      }),
    ],
  ])('answers %s with 503 UNAVAILABLE and Retry-After, without its message', (_, error) => {
    const result = httpErrorResult(error, 'req-7', logger, metrics);

    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe(String(UNAVAILABLE_RETRY_AFTER_IN_SECONDS));
    expect(JSON.parse(result.body as string)).toMatchObject({ code: 'UNAVAILABLE', requestId: 'req-7' });
    expect(result.body).not.toContain(error.message);
  });

  it('answers a refused request of the service (a 4xx it will not retry) as 500, not 503', () => {
    const error = Object.assign(new Error('Requested resource not found'), {
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 400 },
    });
    expect(httpErrorResult(error, 'req-8', logger, metrics).statusCode).toBe(500);
  });

  it('answers an unexpected error with 500 and without its message', () => {
    const result = httpErrorResult(new Error('connect ECONNREFUSED 10.0.0.7:443'), 'req-3', logger, metrics);

    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain('ECONNREFUSED');
    expect(JSON.parse(result.body as string)).toMatchObject({ code: 'INTERNAL', requestId: 'req-3' });
  });
});
