import { describe, expect, it } from 'vitest';
import { type Inline, isEmojiOnly, parseInline, parseRichText, safeHref } from './rich-text';

const text = (value: string): Inline => ({ kind: 'text', text: value });

describe('the formatting a person types', () => {
  it('leaves plain text as it is', () => {
    expect(parseInline('Hello there')).toEqual([text('Hello there')]);
  });

  it('reads *bold*, _italic_ and ~struck~ at word edges, and nests them', () => {
    expect(parseInline('a *big* deal')).toEqual([
      text('a '),
      { kind: 'bold', children: [text('big')] },
      text(' deal'),
    ]);
    expect(parseInline('_so_ ~not~ this')).toEqual([
      { kind: 'italic', children: [text('so')] },
      text(' '),
      { kind: 'struck', children: [text('not')] },
      text(' this'),
    ]);
    expect(parseInline('*very _much_ so*')).toEqual([
      { kind: 'bold', children: [text('very '), { kind: 'italic', children: [text('much')] }, text(' so')] },
    ]);
  });

  it('keeps markers inside words and around spaces as typed', () => {
    for (const value of [
      'snake_case_name',
      '2*3*4 = 24',
      'a * b * c',
      '* not bold*',
      'file_name.txt',
      '~ ~',
    ]) {
      expect(parseInline(value)).toEqual([text(value)]);
    }
  });

  it('does not run a marker across lines', () => {
    expect(parseInline('*one\ntwo*')).toEqual([text('*one\ntwo*')]);
  });

  it('takes `code` whole: nothing in it is formatted or linked', () => {
    expect(parseInline('run `rm *.tmp_ https://x.test` now')).toEqual([
      text('run '),
      { kind: 'code', text: 'rm *.tmp_ https://x.test' },
      text(' now'),
    ]);
  });

  it('reads code blocks and quotes as blocks', () => {
    expect(parseRichText('look:\n```\nconst a = *b*;\n```\n> said\n> twice\nok')).toEqual([
      { kind: 'paragraph', children: [text('look:\n')] },
      { kind: 'code', text: 'const a = *b*;' },
      { kind: 'quote', children: [text('said\ntwice')] },
      { kind: 'paragraph', children: [text('ok')] },
    ]);
  });

  it('leaves an unclosed fence as text', () => {
    expect(parseRichText('a ``` b')).toEqual([{ kind: 'paragraph', children: [text('a ``` b')] }]);
  });
});

describe('links in a message', () => {
  it('links http and https addresses, leaving the sentence around them', () => {
    expect(parseInline('See https://example.com/a_b?q=1, then http://x.test.')).toEqual([
      text('See '),
      { kind: 'link', text: 'https://example.com/a_b?q=1', href: 'https://example.com/a_b?q=1' },
      text(', then '),
      { kind: 'link', text: 'http://x.test', href: 'http://x.test/' },
      text('.'),
    ]);
  });

  it('keeps a bracket the address opened, and drops one the sentence opened', () => {
    expect(parseInline('(https://en.wikipedia.org/wiki/Foo_(bar))')).toEqual([
      text('('),
      {
        kind: 'link',
        text: 'https://en.wikipedia.org/wiki/Foo_(bar)',
        href: 'https://en.wikipedia.org/wiki/Foo_(bar)',
      },
      text(')'),
    ]);
  });

  it('links inside bold text', () => {
    expect(parseInline('*go https://a.test/x_y*')).toEqual([
      {
        kind: 'bold',
        children: [text('go '), { kind: 'link', text: 'https://a.test/x_y', href: 'https://a.test/x_y' }],
      },
    ]);
  });

  it('never links another scheme', () => {
    for (const value of [
      'javascript:alert(1)',
      'data:text/html,<b>x</b>',
      'file:///etc/passwd',
      'ftp://x.test',
    ]) {
      expect(parseInline(value).some((node) => node.kind === 'link')).toBe(false);
    }
    expect(safeHref('javascript:alert(1)')).toBeUndefined();
    expect(safeHref('https://ok.test/')).toBe('https://ok.test/');
  });
});

describe('emoji-only messages', () => {
  it('are one to three emoji, flags and families included', () => {
    for (const value of ['👍', '❤️', '🇫🇷', '👨‍👩‍👧', ' 🎉 🎉 🎉 ', '👍🏽'])
      expect(isEmojiOnly(value)).toBe(true);
  });

  it('are not text, numbers or four emoji', () => {
    for (const value of ['ok 👍', '123', '#', '🎉🎉🎉🎉', '', '   ']) expect(isEmojiOnly(value)).toBe(false);
  });
});
