import type { ConversationHistory, MessageView } from './history';
import {
  highlight,
  matchesTerms,
  queryTerms,
  type SearchIndex,
  searchableText,
  type TextPiece,
} from './search-index';

/** A message found, in its conversation. */
export interface SearchHit {
  readonly conversationId: string;
  readonly message: MessageView;
}

export interface SearchResults {
  /** Newest first. */
  readonly hits: readonly SearchHit[];
  /** More messages match than `limit`. */
  readonly more: boolean;
}

/** Candidates read from a history at a time, while checking them against the query. */
const CHECKED_PER_READ = 100;

/**
 * Searches every conversation's kept messages: indexes a history kept before the index existed (once),
 * looks the query's terms up in the index, and checks each candidate against the history, which is the
 * truth (an edit or a deletion the index missed is not shown). Newest first across conversations.
 *
 * @example
 * const { hits, more } = await searchMessages(index, historyOf, conversationIds, 'hel', 50);
 */
export async function searchMessages(
  index: SearchIndex,
  historyOf: (conversationId: string) => Promise<ConversationHistory>,
  conversationIds: readonly string[],
  query: string,
  limit: number,
): Promise<SearchResults> {
  const terms = queryTerms(query);
  if (terms.length === 0) return { hits: [], more: false };
  const found: SearchHit[] = [];
  for (const conversationId of conversationIds) {
    const history = await historyOf(conversationId);
    if (!(await index.isComplete(conversationId)))
      await index.build(conversationId, (after) => history.scan(after));
    const candidates = await index.candidates(conversationId, terms);
    // One more than asked for from each: enough to know whether there are more overall.
    let kept = 0;
    for (let start = 0; start < candidates.length && kept <= limit; start += CHECKED_PER_READ) {
      const messages = await history.find(candidates.slice(start, start + CHECKED_PER_READ));
      for (const message of messages.reverse()) {
        if (kept > limit || !matchesTerms(searchableText(message), terms)) continue;
        found.push({ conversationId, message });
        kept++;
      }
    }
  }
  found.sort(
    (a, b) =>
      (a.message.sentAt < b.message.sentAt ? 1 : a.message.sentAt > b.message.sentAt ? -1 : 0) ||
      b.message.seq - a.message.seq,
  );
  return { hits: found.slice(0, limit), more: found.length > limit };
}

/** A result's text as pieces, the matches marked: around the first match when the text is long. */
export function excerpt(text: string, query: string, maxLength = 160): TextPiece[] {
  const pieces = highlight(text, queryTerms(query));
  if (text.length <= maxLength) return pieces;
  const before = pieces.findIndex((p) => p.mark);
  let skip = 0;
  if (before > 0) {
    const lead = pieces.slice(0, before).reduce((n, p) => n + p.text.length, 0);
    skip = Math.max(0, lead - 40);
  }
  const cut: TextPiece[] = [];
  let room = maxLength;
  let offset = 0;
  for (const piece of pieces) {
    const end = offset + piece.text.length;
    if (end > skip && room > 0) {
      const from = Math.max(0, skip - offset);
      // By code point, so no emoji is cut in half.
      const part = Array.from(piece.text.slice(from));
      const taken = part.length > room ? `${part.slice(0, room).join('')}…` : part.join('');
      cut.push({ text: taken, mark: piece.mark });
      room -= part.length;
    }
    offset = end;
  }
  if (skip > 0) cut.unshift({ text: '…', mark: false });
  return cut;
}
