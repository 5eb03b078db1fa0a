import { describe, expect, it } from 'vitest';
import { frameText, header, type WebSocketEvent } from './events';

describe('header', () => {
  it('finds a header whatever casing the client used', () => {
    const headers = { 'Sec-WebSocket-Protocol': 'parley, token' };

    expect(header(headers, 'sec-websocket-protocol')).toBe('parley, token');
  });

  it('returns undefined for an absent header or no headers at all', () => {
    expect(header({ Host: 'example.com' }, 'sec-websocket-protocol')).toBeUndefined();
    expect(header(null, 'host')).toBeUndefined();
    expect(header(undefined, 'host')).toBeUndefined();
  });
});

describe('frameText', () => {
  const event = (body: string | null, isBase64Encoded?: boolean): WebSocketEvent => ({
    body,
    ...(isBase64Encoded === undefined ? {} : { isBase64Encoded }),
    requestContext: { routeKey: 'send', connectionId: 'c1', requestId: 'r1' },
  });

  it('returns a text frame as it came', () => {
    expect(frameText(event('{"action":"send"}'))).toBe('{"action":"send"}');
  });

  it('decodes a frame API Gateway passed as base64', () => {
    const text = '{"action":"send","note":"héllo 👋"}';

    expect(frameText(event(Buffer.from(text).toString('base64'), true))).toBe(text);
  });

  it('reads a missing body as an empty frame', () => {
    expect(frameText(event(null))).toBe('');
  });
});
