import {
  encodeMessagePayload,
  MAX_MESSAGE_PAYLOAD_SIZE_IN_BYTES,
  MAX_MESSAGE_TEXT_LENGTH,
  textLengthOf,
} from '../../../shared/e2ee/attachment-payload';

/** From this many characters on, the composer shows how many there are: 90% of the limit. */
export const COUNTED_FROM = Math.floor(MAX_MESSAGE_TEXT_LENGTH * 0.9);

/** JSON escapes a control character in six bytes: the most one UTF-16 code unit can take once encoded. */
const MOST_BYTES_PER_CODE_UNIT = 6;
/** `{"text":""}` around it. */
const PAYLOAD_FRAME_IN_BYTES = 11;

/** What the composer says of a text about to be sent. */
export interface TextMeasure {
  /** Characters, as the limit counts them (code points: an emoji is one). */
  readonly count: number;
  /** Near the limit or past it: the counter shows. */
  readonly shown: boolean;
  /** Too long to send; `why` says so in words. */
  readonly over: boolean;
  /** The counter's words: `3,650 / 4,000`, or why it cannot go. */
  readonly words: string;
}

const number = (value: number) => value.toLocaleString('en');

/**
 * Measures a text against what one message carries: {@link MAX_MESSAGE_TEXT_LENGTH} characters, and one
 * body's bytes once encoded (which only a text full of control characters can pass below the count).
 * Whatever it finds not `over` is sent whole and reads the same on the other side.
 *
 * @example
 * measureText('a'.repeat(5000)); // { count: 5000, shown: true, over: true, words: '5,000 / 4,000 · 1,000 too many to send' }
 */
export function measureText(text: string): TextMeasure {
  const count = textLengthOf(text);
  const limit = `${number(count)} / ${number(MAX_MESSAGE_TEXT_LENGTH)}`;
  if (count > MAX_MESSAGE_TEXT_LENGTH) {
    const extra = count - MAX_MESSAGE_TEXT_LENGTH;
    return { count, shown: true, over: true, words: `${limit} · ${number(extra)} too many to send` };
  }
  // Short enough that no character can make it too large: not worth encoding at every key press.
  const surelyFits =
    text.length * MOST_BYTES_PER_CODE_UNIT + PAYLOAD_FRAME_IN_BYTES <= MAX_MESSAGE_PAYLOAD_SIZE_IN_BYTES;
  if (!surelyFits && encodeMessagePayload({ text }) === undefined) {
    return { count, shown: true, over: true, words: `${limit} · too long to send: shorten it` };
  }
  return { count, shown: count >= COUNTED_FROM, over: false, words: limit };
}
