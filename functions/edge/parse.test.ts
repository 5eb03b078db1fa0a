import { describe, expect, it } from 'vitest';
import { SendFrameSchema } from '../../shared/protocol/inbound';
import * as z from '../../shared/zod';
import { InvalidJsonError, ValidationError } from '../errors';
import { parseJson, parseWith } from './parse';

describe('parseJson', () => {
  it('returns the parsed value of valid JSON', () => {
    expect(parseJson('{"action":"send","n":[1,2]}')).toEqual({ action: 'send', n: [1, 2] });
  });

  it.each(['', '{', "{'action':'send'}", 'undefined', '{"a":1,}'])('answers INVALID_JSON for %j', (text) => {
    expect(() => parseJson(text)).toThrow(InvalidJsonError);
  });

  it('keeps the syntax error as the cause', () => {
    expect(() => parseJson('{')).toThrow(expect.objectContaining({ cause: expect.any(SyntaxError) }));
  });
});

describe('parseWith', () => {
  const Schema = z.object({ user: z.object({ name: z.string() }), count: z.number() });

  it('returns the validated value', () => {
    expect(parseWith(Schema, { user: { name: 'alice' }, count: 2 })).toEqual({
      user: { name: 'alice' },
      count: 2,
    });
  });

  it('answers VALIDATION_FAILED naming the path of the bad field', () => {
    expect(() => parseWith(Schema, { user: { name: 7 }, count: 2 })).toThrow(ValidationError);
    expect(() => parseWith(Schema, { user: { name: 7 }, count: 2 })).toThrow(/^user\.name: /);
  });

  it('lists several bad fields in one message', () => {
    expect(() => parseWith(Schema, { user: {}, count: 'two' })).toThrow(/user\.name: .*; count: /);
  });

  it('gives the message alone when the problem is the whole value', () => {
    expect(() => parseWith(Schema, 'not an object')).toThrow(/^Invalid input: expected object/);
  });

  it("answers in English, with the schema's own words where it has them", () => {
    const frame = { action: 'send', conversationId: 'c1', messageId: '', body: 'aGk' };

    expect(() => parseWith(SendFrameSchema, frame)).toThrow(
      'messageId: Too small: expected string to have >=1 characters; messageId: must be 1-64 characters of A-Z a-z 0-9 . _ : -; body: must be base64',
    );
  });

  it('names conversationId when a send frame has neither conversationId nor recipientId', () => {
    const frame = { action: 'send', messageId: 'm1', body: 'aGk=' };

    expect(() => parseWith(SendFrameSchema, frame)).toThrow(
      'conversationId: exactly one of conversationId and recipientId is required',
    );
  });
});
