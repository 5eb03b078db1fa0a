/**
 * The conversations newest activity first, ties by id. The server pages a user's conversations in id
 * order (each page sorted on its own, so that its reads stay bounded by the page), so the list is
 * sorted here once every page is in, and again whenever a message moves one up.
 *
 * @example
 * state.conversations = newestFirst(await allPages(listConversations));
 */
export function newestFirst<T extends { readonly conversationId: string; readonly lastActivityAt: string }>(
  conversations: readonly T[],
): T[] {
  return [...conversations].sort(
    (a, b) =>
      b.lastActivityAt.localeCompare(a.lastActivityAt) ||
      (a.conversationId < b.conversationId ? -1 : a.conversationId > b.conversationId ? 1 : 0),
  );
}
