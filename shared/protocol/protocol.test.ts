import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from './errors';
import {
  Base64Schema,
  ClientIdSchema,
  ConversationIdSchema,
  DisplayNameInputSchema,
  DisplayNameSchema,
  decodedBase64Length,
  GroupNameInputSchema,
  UserIdSchema,
} from './ids';
import { parseEnvelope, peekRequestId, SendFrameSchema, sendFrame } from './inbound';
import { MAX_CLIENT_ID_LENGTH } from './limits';
import {
  ackFrame,
  devicePush,
  errorFrame,
  isGatewayFailure,
  messageFrame,
  parseOutboundFrame,
  pongFrame,
} from './outbound';
import { ProblemSchema, problem } from './problem';

const conversationId = 'd_AbC123-_xyz';
const validSend = { action: 'send', conversationId, messageId: 'm-1', body: 'aGVsbG8=' };

describe('SendFrameSchema', () => {
  it('accepts a frame to a conversation', () => {
    expect(SendFrameSchema.parse(validSend)).toEqual(validSend);
  });

  it('accepts a frame to a recipient, with a requestId', () => {
    const frame = { action: 'send', recipientId: 'bob-1', requestId: 'r.1:a_b', messageId: 'm1', body: '' };

    expect(SendFrameSchema.safeParse(frame).success).toBe(true);
  });

  it('refuses a frame naming both a conversation and a recipient', () => {
    const result = SendFrameSchema.safeParse({ ...validSend, recipientId: 'bob' });

    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(
      'exactly one of conversationId and recipientId is required',
    );
  });

  it('refuses a frame naming neither a conversation nor a recipient', () => {
    const { conversationId: _omitted, ...neither } = validSend;

    expect(SendFrameSchema.safeParse(neither).success).toBe(false);
  });

  it.each(['aGVsbG8', 'aGVsbG8==', 'aGV sbG8=', 'aGVsbG8=\n', '====', 'aGVs-G8=', 'a'])(
    'refuses the body %j, which is not padded standard base64',
    (body) => {
      expect(SendFrameSchema.safeParse({ ...validSend, body }).success).toBe(false);
    },
  );

  it('accepts a messageId of the longest allowed length and refuses one longer', () => {
    const longest = 'm'.repeat(MAX_CLIENT_ID_LENGTH);

    expect(SendFrameSchema.safeParse({ ...validSend, messageId: longest }).success).toBe(true);
    expect(SendFrameSchema.safeParse({ ...validSend, messageId: `${longest}m` }).success).toBe(false);
  });

  it.each([
    ['messageId', 42],
    ['messageId', ''],
    ['messageId', 'has space'],
    ['body', 123],
    ['conversationId', 7],
    ['conversationId', 'has#hash'],
    ['requestId', { id: 1 }],
    ['action', 'post'],
  ])('refuses %s = %j', (field, value) => {
    expect(SendFrameSchema.safeParse({ ...validSend, [field]: value }).success).toBe(false);
  });

  it('refuses a recipient that is not a user id', () => {
    const { conversationId: _omitted, ...rest } = validSend;

    expect(SendFrameSchema.safeParse({ ...rest, recipientId: 'bob@example.com' }).success).toBe(false);
  });

  it('takes up to 10 distinct attachment ids on a message or a reply, and none on an edit or reaction', () => {
    const id = (n: number) => `attachment${String(n).padStart(12, '0')}`;
    const ids = Array.from({ length: 10 }, (_, n) => id(n));
    expect(SendFrameSchema.safeParse({ ...validSend, attachmentIds: ids }).success).toBe(true);
    expect(
      SendFrameSchema.safeParse({ ...validSend, kind: 'reply', refSeq: 1, attachmentIds: ids }).success,
    ).toBe(true);

    for (const attachmentIds of [
      [...ids, id(10)],
      [],
      [id(1), id(1)],
      ['short'],
      [`${id(1)}/`.slice(1)],
      'x',
    ]) {
      expect(SendFrameSchema.safeParse({ ...validSend, attachmentIds }).success).toBe(false);
    }
    for (const kind of ['edit', 'reaction']) {
      const result = SendFrameSchema.safeParse({ ...validSend, kind, refSeq: 1, attachmentIds: [id(1)] });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(['attachmentIds']);
    }
  });

  it('is what sendFrame builds', () => {
    const frame = sendFrame({ recipientId: 'bob', messageId: 'm1', body: 'aGk=' });

    expect(SendFrameSchema.parse(frame)).toEqual({
      action: 'send',
      recipientId: 'bob',
      messageId: 'm1',
      body: 'aGk=',
    });
  });
});

describe('decodedBase64Length', () => {
  it('gives the decoded size without decoding, for every padding', () => {
    const paddings = new Set<number>();
    for (let size = 0; size <= 300; size += 1) {
      const base64 = randomBytes(size).toString('base64');
      paddings.add(base64.length - base64.replace(/=+$/, '').length);

      expect(decodedBase64Length(base64)).toBe(Buffer.from(base64, 'base64').length);
      expect(decodedBase64Length(base64)).toBe(size);
    }
    expect([...paddings].sort()).toEqual([0, 1, 2]);
  });

  it('is 0 for an empty body', () => {
    expect(decodedBase64Length('')).toBe(0);
  });
});

describe('ids', () => {
  it('accepts what Cognito issues as a user id', () => {
    expect(UserIdSchema.safeParse('0b1e7a52-3c1d-4a8e-9f00-6d5c2a1b9e01').success).toBe(true);
  });

  it('refuses ids holding the separators of storage keys', () => {
    expect(UserIdSchema.safeParse('alice#1').success).toBe(false);
    expect(ConversationIdSchema.safeParse('CONV#x').success).toBe(false);
    expect(ClientIdSchema.safeParse('m#1').success).toBe(false);
  });

  it('accepts padded base64 only', () => {
    expect(Base64Schema.safeParse('aGk=').success).toBe(true);
    expect(Base64Schema.safeParse('aGk').success).toBe(false);
  });
});

describe('inbound envelope', () => {
  it("reads the client's requestId from any frame, valid or not", () => {
    expect(peekRequestId({ action: 'nope', requestId: 'r1' })).toBe('r1');
    expect(peekRequestId({ action: 'nope', requestId: 'bad id' })).toBeUndefined();
    expect(peekRequestId(null)).toBeUndefined();
    expect(peekRequestId('r1')).toBeUndefined();
  });

  it('parses the envelope of any action', () => {
    expect(parseEnvelope({ action: 'whatever', extra: 1 }).success).toBe(true);
    expect(parseEnvelope({ requestId: 'r1' }).success).toBe(false);
  });
});

describe('outbound frames', () => {
  const sentAt = '2025-03-01T12:00:00.000Z';

  it('builds an ack the client parses back unchanged', () => {
    const ack = ackFrame({ requestId: 'r1', conversationId, messageId: 'm1', seq: 1, sentAt });

    expect(parseOutboundFrame(JSON.stringify(ack))).toEqual(ack);
    expect(ack.type).toBe('ack');
  });

  it('builds a message the client parses back unchanged', () => {
    const message = messageFrame({
      conversationId,
      seq: 3,
      messageId: 'm3',
      senderId: 'alice',
      sentAt,
      kind: 'message',
      body: 'aGk=',
    });

    expect(parseOutboundFrame(JSON.stringify(message))).toEqual(message);
    expect(message.type).toBe('message');
  });

  it('builds a device push the client parses back unchanged, and refuses an unknown event', () => {
    const device = devicePush({ event: 'revoked', userId: 'alice', deviceId: 'tablet' });

    expect(parseOutboundFrame(JSON.stringify(device))).toEqual({
      type: 'device',
      event: 'revoked',
      userId: 'alice',
      deviceId: 'tablet',
    });
    expect(() => parseOutboundFrame(JSON.stringify({ ...device, event: 'lost' }))).toThrow();
  });

  it('builds an error frame for every code the client parses back unchanged', () => {
    for (const code of Object.values(ErrorCode)) {
      const error = errorFrame({ code, message: 'Something', requestId: 'r1' });

      expect(parseOutboundFrame(JSON.stringify(error))).toEqual({
        type: 'error',
        code,
        message: 'Something',
        requestId: 'r1',
      });
    }
  });

  it('refuses an error frame with a code the protocol does not define', () => {
    const unknown = { type: 'error', code: 'TEAPOT', message: 'short and stout', requestId: 'r1' };

    expect(() => parseOutboundFrame(JSON.stringify(unknown))).toThrow();
  });

  it('refuses a frame of an unknown type and an ack with a seq below 1', () => {
    expect(() => parseOutboundFrame(JSON.stringify({ type: 'presence' }))).toThrow();
    const ack = { type: 'ack', conversationId, messageId: 'm1', seq: 0, sentAt };
    expect(() => parseOutboundFrame(JSON.stringify(ack))).toThrow();
  });

  it('refuses text that is not JSON', () => {
    expect(() => parseOutboundFrame('not json')).toThrow(SyntaxError);
  });
});

describe('problem', () => {
  it('types a problem by its code and validates against ProblemSchema', () => {
    const detail = problem({
      title: 'Not found',
      status: 404,
      detail: 'No such account',
      code: ErrorCode.NotFound,
      requestId: 'r',
    });

    expect(detail.type).toBe('urn:parley:problem:not-found');
    expect(ProblemSchema.parse(detail)).toEqual(detail);
  });
});

describe('names people see, as clients set them', () => {
  it.each([
    ['  Ada   Lovelace ', 'Ada Lovelace'],
    ['Ada\u00A0\u2003Lovelace', 'Ada Lovelace'],
    ['E\u0301mile', '\u00C9mile'],
    ['\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645', '\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645'],
    ['\u{1F469}\u200D\u{1F4BB} Ada', '\u{1F469}\u200D\u{1F4BB} Ada'],
    [
      '\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F} fan',
      '\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F} fan',
    ],
    ['\u5F20\u4F1F', '\u5F20\u4F1F'],
    ['\uFEFFAda\u2028Lovelace\r\n', 'Ada Lovelace'],
  ])('normalises %j to %j', (input, stored) => {
    expect(DisplayNameInputSchema.parse(input)).toBe(stored);
    expect(GroupNameInputSchema.parse(input)).toBe(stored);
  });

  it.each([
    ['a NUL', 'Ada\u0000'],
    ['a tab inside a bidi embedding', 'Ada\u202A\tB'],
    ['a right-to-left override', 'Ada\u202Egnp.exe'],
    ['a bidi isolate', '\u2067Ada'],
    ['a left-to-right mark', 'Ada\u200E'],
    ['zero-width spaces only', '\u200B\u200B\u200B'],
    ['a zero-width space inside', 'A\u200Bda'],
    ['a joiner at the end', 'Ada\u200D'],
    ['a word joiner', 'Ada\u2060Lovelace'],
    ['a function application', 'Ada\u2061'],
    ['a soft hyphen', 'Ada\u00ADLovelace'],
    ['a Hangul filler', '\u3164'],
    ['a blank Braille pattern', '\u2800\u2800'],
    ['a private-use character', 'Ada\uE000'],
    ['a lone surrogate', 'Ada\uD800'],
    ['white space only', ' \t '],
  ])('refuses %s', (_, input) => {
    expect(DisplayNameInputSchema.safeParse(input).success).toBe(false);
    expect(GroupNameInputSchema.safeParse(input).success).toBe(false);
  });

  it('says why a name was refused', () => {
    const result = DisplayNameInputSchema.safeParse('Ada\u202E');
    expect(result.error?.issues[0]?.message).toBe('must not contain control or invisible characters');
  });

  it('counts the limit after normalising', () => {
    expect(DisplayNameInputSchema.safeParse(`${'a'.repeat(64)}   `).success).toBe(true);
    expect(DisplayNameInputSchema.safeParse('a'.repeat(65)).success).toBe(false);
  });

  it('still reads a name stored before these rules', () => {
    expect(DisplayNameSchema.parse('Ada\u200B')).toBe('Ada\u200B');
  });
});

describe("API Gateway's own frames", () => {
  it('parses the pong of a ping as one of ours', () => {
    expect(parseOutboundFrame(JSON.stringify(pongFrame()))).toEqual({ type: 'pong' });
  });

  it('recognises the failure frame, which carries no type and not the client requestId', () => {
    const frame = { message: 'Internal server error', connectionId: 'abc=', requestId: 'gw-1' };
    expect(isGatewayFailure(JSON.stringify(frame))).toBe(true);
    expect(() => parseOutboundFrame(JSON.stringify(frame))).toThrow();
    expect(
      isGatewayFailure(JSON.stringify({ message: 'Forbidden', connectionId: 'abc=', requestId: 'gw-2' })),
    ).toBe(false);
    expect(isGatewayFailure('not json')).toBe(false);
    expect(
      isGatewayFailure(
        JSON.stringify(
          errorFrame({ code: ErrorCode.Internal, message: 'Internal server error', requestId: 'r' }),
        ),
      ),
    ).toBe(false);
  });
});
