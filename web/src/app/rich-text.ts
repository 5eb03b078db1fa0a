/**
 * The light formatting people type in chat apps, read from a message's text into a tree the screens render
 * as elements (never as HTML: nothing in a message can become markup, a script or a style):
 * ```` ```code block``` ````, `` `code` ``, `*bold*`, `_italic_`, `~struck~`, lines starting `> ` as a quote,
 * and `http(s)` links. The markers follow WhatsApp's rules: they open before a non-space and close after one,
 * at a word's edge, so `2*3*4` and `snake_case_name` stay as typed.
 */

export type Inline =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'code'; readonly text: string }
  | { readonly kind: 'link'; readonly text: string; readonly href: string }
  | { readonly kind: 'bold' | 'italic' | 'struck'; readonly children: readonly Inline[] };

export type Block =
  | { readonly kind: 'paragraph'; readonly children: readonly Inline[] }
  | { readonly kind: 'quote'; readonly children: readonly Inline[] }
  | { readonly kind: 'code'; readonly text: string };

const STYLES = { '*': 'bold', _: 'italic', '~': 'struck' } as const;
/** A marker opens at the start or after one of these, and closes at the end or before one. */
const EDGE = /[\s.,!?;:()[\]{}"'«»“”‘’\-/]/u;
/** Where a link starts: an http(s) URL, up to a space or an angle bracket. */
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"]+/giu;
/** Characters that end a sentence rather than a URL. */
const TRAILING = /[.,;:!?'"”’»*_~]+$/u;

/** The text's blocks: code blocks first (nothing inside them is formatted), then quotes and paragraphs. */
export function parseRichText(text: string): Block[] {
  const blocks: Block[] = [];
  const parts = text.split('```');
  // An even number of parts leaves the last fence unclosed: it is text, with what follows it.
  if (parts.length % 2 === 0) {
    const tail = parts.pop() ?? '';
    parts.push(`${parts.pop() ?? ''}\`\`\`${tail}`);
  }
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    if (i % 2 === 1) blocks.push({ kind: 'code', text: part.replace(/^\n/u, '').replace(/\n$/u, '') });
    else blocks.push(...proseBlocks(i > 0 ? part.replace(/^\n/u, '') : part));
  }
  return blocks.filter((b) => b.kind === 'code' || b.children.length > 0);
}

function proseBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  let lines: string[] = [];
  let quoting = false;
  const flush = () => {
    if (lines.length === 0) return;
    const body = lines.join('\n');
    blocks.push({ kind: quoting ? 'quote' : 'paragraph', children: parseInline(body) });
    lines = [];
  };
  for (const line of text.split('\n')) {
    const quote = /^> ?/u.exec(line);
    if (Boolean(quote) !== quoting) {
      flush();
      quoting = Boolean(quote);
    }
    lines.push(quote ? line.slice(quote[0].length) : line);
  }
  flush();
  return blocks;
}

/**
 * Inline code and links are taken whole; formatting applies around them (a link may be bold). They stand in
 * the text as one private-use character each while the markers are read, then are put back.
 */
export function parseInline(text: string): Inline[] {
  const atoms: Inline[] = [];
  const hold = (node: Inline) => String.fromCodePoint(ATOM + atoms.push(node) - 1);
  // A text that has private-use characters of its own is read without holding its links in place.
  if (/[\u{E000}-\u{F8FF}]/u.test(text)) return emphasis(text, []);
  let held = '';
  for (const piece of text.split(/(`[^`\n]+`)/u)) {
    if (piece.length > 2 && piece.startsWith('`') && piece.endsWith('`')) {
      held += hold({ kind: 'code', text: piece.slice(1, -1) });
      continue;
    }
    let last = 0;
    for (const match of piece.matchAll(URL_PATTERN)) {
      const link = trimLink(match[0]);
      const href = safeHref(link);
      if (!href || match.index < last) continue;
      held += piece.slice(last, match.index) + hold({ kind: 'link', text: link, href });
      last = match.index + link.length;
    }
    held += piece.slice(last);
  }
  return emphasis(held, atoms);
}

const ATOM = 0xe000;

function trimLink(url: string): string {
  let link = url.replace(TRAILING, '');
  // A closing bracket belongs to the URL only when the URL opened one (as Wikipedia's do).
  while (/[)\]]$/u.test(link)) {
    const close = link.at(-1) === ')' ? ')' : ']';
    const open = close === ')' ? '(' : '[';
    if (link.split(open).length >= link.split(close).length) break;
    link = link.slice(0, -1).replace(TRAILING, '');
  }
  return link;
}

/** The link's address if it is http(s) and well formed; anything else stays text. */
export function safeHref(link: string): string | undefined {
  try {
    const url = new URL(link);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function emphasis(text: string, atoms: readonly Inline[]): Inline[] {
  if (text === '') return [];
  for (let open = 0; open < text.length; open++) {
    const marker = text[open] as keyof typeof STYLES;
    if (!(marker in STYLES)) continue;
    const before = text[open - 1];
    const after = text[open + 1];
    if ((before !== undefined && !EDGE.test(before)) || after === undefined || /\s/u.test(after)) continue;
    for (let close = open + 2; close < text.length; close++) {
      if (text[close] !== marker) continue;
      const inside = text[close - 1] ?? '';
      const next = text[close + 1];
      if (/\s/u.test(inside) || (next !== undefined && !EDGE.test(next))) continue;
      if (text.slice(open + 1, close).includes('\n')) break;
      return [
        ...restore(text.slice(0, open), atoms),
        { kind: STYLES[marker], children: emphasis(text.slice(open + 1, close), atoms) },
        ...emphasis(text.slice(close + 1), atoms),
      ];
    }
  }
  return restore(text, atoms);
}

/** Plain text with the held code and links put back in their places. */
function restore(text: string, atoms: readonly Inline[]): Inline[] {
  if (atoms.length === 0) return text === '' ? [] : [{ kind: 'text', text }];
  const out: Inline[] = [];
  let plain = '';
  for (const char of text) {
    const atom = atoms[(char.codePointAt(0) ?? 0) - ATOM];
    if (atom === undefined) {
      plain += char;
      continue;
    }
    if (plain) out.push({ kind: 'text', text: plain });
    plain = '';
    out.push(atom);
  }
  if (plain) out.push({ kind: 'text', text: plain });
  return out;
}

const PICTOGRAPH = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u;

/** Whether the text is one to three emoji and nothing else, shown larger as chat apps do. */
export function isEmojiOnly(text: string): boolean {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.length > 40) return false;
  const graphemes = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(trimmed)]
    .map((s) => s.segment)
    .filter((g) => !/^\s+$/u.test(g));
  return graphemes.length <= 3 && graphemes.every((g) => PICTOGRAPH.test(g));
}
