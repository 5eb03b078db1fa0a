import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/protocol/errors';
import type { OutboundFrame, PushFrame } from '../../../shared/protocol/outbound';
import { type PushHandlers, routePushes } from './push-router';

const PUSH_TYPES: readonly PushFrame['type'][] = [
  'message',
  'message-ref',
  'deleted',
  'receipt',
  'typing',
  'presence',
  'friend',
  'profile',
  'conversation',
  'welcome',
  'device',
  'settings',
  'history-transfer',
];

/** Handlers that note each frame they are given, by kind; `fail` makes one kind's handler reject. */
function recording(fail?: PushFrame['type']) {
  const seen: string[] = [];
  const handlers = Object.fromEntries(
    PUSH_TYPES.map((type) => [
      type,
      async (frame: PushFrame) => {
        if (type === fail) throw new Error(`${type} failed`);
        seen.push(`${type}:${frame.type}`);
      },
    ]),
  ) as unknown as PushHandlers;
  return { seen, handlers };
}

const typing: OutboundFrame = { type: 'typing', conversationId: 'c1', userId: 'bob', state: 'start' };
const receipt: OutboundFrame = {
  type: 'receipt',
  conversationId: 'c1',
  userId: 'bob',
  delivered: 3,
  read: 2,
};

describe('routePushes: one way for every push', () => {
  it('gives each push to the handler of its kind only', async () => {
    const { seen, handlers } = recording();
    const route = routePushes(handlers, (error) => {
      throw error;
    });
    await route(typing);
    await route(receipt);
    expect(seen).toEqual(['typing:typing', 'receipt:receipt']);
  });

  it('gives the replies to frames this client sent to no handler', async () => {
    const { seen, handlers } = recording();
    const errors: unknown[] = [];
    const route = routePushes(handlers, (error) => errors.push(error));
    await route({ type: 'ok', requestId: 'r1' });
    await route({ type: 'pong' });
    await route({ type: 'error', code: ErrorCode.Forbidden, message: 'No', requestId: 'r2' });
    await route({
      type: 'ack',
      requestId: 'r3',
      conversationId: 'c1',
      messageId: 'm1',
      seq: 1,
      sentAt: '2025-05-01T10:00:00.000Z',
    });
    expect(seen).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('hands a handler’s failure to onError, and goes on routing the next push', async () => {
    const { seen, handlers } = recording('typing');
    const errors: unknown[] = [];
    const route = routePushes(handlers, (error) => errors.push(error));
    await route(typing);
    await route(receipt);
    expect(errors).toEqual([new Error('typing failed')]);
    expect(seen).toEqual(['receipt:receipt']);
  });
});
