import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_TEXT_LENGTH } from '../../../shared/e2ee/attachment-payload';
import { COUNTED_FROM, measureText } from './text-limit';

describe('measureText', () => {
  it('says nothing of a text well below the limit', () => {
    expect(measureText('Hello')).toEqual({ count: 5, shown: false, over: false, words: '5 / 4,000' });
    expect(measureText('a'.repeat(COUNTED_FROM - 1)).shown).toBe(false);
  });

  it('shows the count from 90% of the limit, and lets the limit itself go', () => {
    expect(measureText('a'.repeat(COUNTED_FROM))).toMatchObject({ shown: true, over: false });
    expect(measureText('a'.repeat(MAX_MESSAGE_TEXT_LENGTH))).toEqual({
      count: 4000,
      shown: true,
      over: false,
      words: '4,000 / 4,000',
    });
  });

  it('says how many characters are too many past the limit', () => {
    expect(measureText('a'.repeat(5000))).toEqual({
      count: 5000,
      shown: true,
      over: true,
      words: '5,000 / 4,000 · 1,000 too many to send',
    });
  });

  it('counts an emoji as one character, whatever its UTF-16 length', () => {
    const text = `${'a'.repeat(MAX_MESSAGE_TEXT_LENGTH - 10)}${'😀'.repeat(10)}`;
    expect(text.length).toBe(MAX_MESSAGE_TEXT_LENGTH + 10);
    expect(measureText(text)).toMatchObject({ count: MAX_MESSAGE_TEXT_LENGTH, over: false });
    expect(measureText(`${text}👋`)).toMatchObject({ count: MAX_MESSAGE_TEXT_LENGTH + 1, over: true });
  });

  it('refuses a text within the count that would not fit one message once encoded', () => {
    // Control characters take six bytes each in the payload's JSON.
    const text = '\u0001'.repeat(3000);
    expect(measureText(text)).toMatchObject({ count: 3000, shown: true, over: true });
    expect(measureText(text).words).toContain('too long to send');
  });
});
