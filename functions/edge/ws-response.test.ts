import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../shared/protocol/errors';
import { ackFrame, parseOutboundFrame } from '../../shared/protocol/outbound';
import { InMemoryMetrics } from '../adapters/memory/memory-metrics';
import {
  ConnectionGoneError,
  ForbiddenError,
  InvalidJsonError,
  LimitReachedError,
  NotFoundError,
  type ParleyError,
  PayloadTooLargeError,
  RateLimitedError,
  SEND_IN_PROGRESS_RETRY_AFTER_IN_SECONDS,
  SendInProgressError,
  UnauthorizedError,
  UnknownActionError,
  ValidationError,
} from '../errors';
import { errorResult, frameResult } from './ws-response';

const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const metrics = new InMemoryMetrics();

describe('frameResult', () => {
  it('sends the frame as JSON with status 200', () => {
    const ack = ackFrame({
      conversationId: 'd_x',
      messageId: 'm1',
      seq: 1,
      sentAt: '2025-03-01T12:00:00.000Z',
    });

    const result = frameResult(ack);

    expect(result.statusCode).toBe(200);
    expect(parseOutboundFrame(result.body ?? '')).toEqual(ack);
  });
});

describe('errorResult', () => {
  it('counts a refused rate and a reached cap, and no other refusal', () => {
    const counted = new InMemoryMetrics();
    errorResult(new RateLimitedError(3), 'r1', logger, counted);
    errorResult(new LimitReachedError('groupsPerUser', 500, 'Too many groups'), 'r2', logger, counted);
    errorResult(new ForbiddenError('no'), 'r3', logger, counted);
    errorResult(new Error('boom'), 'r4', logger, counted);

    expect(counted.total('rateLimitRefusals')).toBe(1);
    expect(counted.total('capsReached')).toBe(1);
  });

  it.each<[ParleyError, ErrorCode]>([
    [new InvalidJsonError(), ErrorCode.InvalidJson],
    [new UnknownActionError('dance'), ErrorCode.UnknownAction],
    [new ValidationError('messageId: required'), ErrorCode.ValidationFailed],
    [new PayloadTooLargeError(20_000, 16_384), ErrorCode.PayloadTooLarge],
    [new UnauthorizedError(), ErrorCode.Unauthorized],
    [new ForbiddenError('You are not a member of this conversation'), ErrorCode.Forbidden],
    [new NotFoundError('No such recipient'), ErrorCode.NotFound],
  ])('answers %s with an error frame of code %s and its message', (error, code) => {
    const result = errorResult(error, 'r-1', logger, metrics);

    expect(result.statusCode).toBe(200);
    expect(parseOutboundFrame(result.body ?? '')).toEqual({
      type: 'error',
      code,
      message: error.message,
      requestId: 'r-1',
    });
  });

  it('tells when to retry a send in progress', () => {
    const result = errorResult(new SendInProgressError(), 'r-4', logger, metrics);

    expect(parseOutboundFrame(result.body ?? '')).toEqual({
      type: 'error',
      code: ErrorCode.SendInProgress,
      message: new SendInProgressError().message,
      requestId: 'r-4',
      retryAfterSeconds: SEND_IN_PROGRESS_RETRY_AFTER_IN_SECONDS,
    });
  });

  it('answers a dependency that cannot be reached as UNAVAILABLE, with when to retry', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });

    const result = errorResult(error, 'r-5', logger, metrics);

    expect(parseOutboundFrame(result.body ?? '')).toMatchObject({
      type: 'error',
      code: ErrorCode.Unavailable,
      requestId: 'r-5',
      retryAfterSeconds: 1,
    });
    expect(result.body).not.toContain('127.0.0.1');
  });

  it('answers an unexpected error as INTERNAL without its message or stack, and logs it', () => {
    const log = vi.spyOn(logger, 'error');
    const error = new Error('ResourceNotFoundException: table parley-dev-secret not found');

    const result = errorResult(error, 'r-2', logger, metrics);

    expect(parseOutboundFrame(result.body ?? '')).toMatchObject({
      type: 'error',
      code: 'INTERNAL',
      requestId: 'r-2',
    });
    expect(result.body).not.toContain('parley-dev-secret');
    expect(result.body).not.toContain('at ');
    expect(log).toHaveBeenCalledWith('Request failed', { error });
  });

  it('answers a thrown non-Error as INTERNAL', () => {
    const result = errorResult('a string', 'r-3', logger, metrics);

    expect(parseOutboundFrame(result.body ?? '')).toMatchObject({ code: 'INTERNAL' });
  });

  it('answers a ParleyError without a code of its own (a gone connection) as INTERNAL', () => {
    const result = errorResult(new ConnectionGoneError('abc='), 'r-4', logger, metrics);

    expect(parseOutboundFrame(result.body ?? '')).toMatchObject({ code: 'INTERNAL' });
  });
});
