import type { StateStore } from '../../shared/e2ee/state-store';
import { HistoryWriter } from '../../web/src/app/history-writer';
import { type ConversationView, ModelStore } from '../../web/src/app/store';

/**
 * A history as the web client keeps it (its writer, search index and encrypted chunks in `store`), listing
 * these conversations as its conversation list would, in this order.
 *
 * @example
 * const history = historyWriterOf(alice, laptop.store, conversationIds);
 * await history.write(laptop.events);
 */
export function historyWriterOf(
  user: { readonly userId: string; readonly name: string },
  store: StateStore,
  conversationIds: readonly string[],
): HistoryWriter {
  const me = { userId: user.userId, username: user.name, displayName: user.name };
  const model = new ModelStore(me, `${user.name}-device`);
  model.state.conversations = conversationIds.map(
    (conversationId) => ({ conversationId, receipts: {} }) as unknown as ConversationView,
  );
  return new HistoryWriter(model, store);
}
