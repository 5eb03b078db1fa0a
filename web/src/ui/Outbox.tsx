import type { ChatModel, ModelState, OutboxItem } from '../app/model';
import { QueuedFilePreview, UploadProgress } from './Attachments';

/**
 * A message of the outbox where it will appear in the chat: a text or a file, waiting, uploading, or
 * refused. A refused one stays, marked "Not sent" with the reason, with Retry (the same message id, so it
 * is stored once), Edit (its text back in the composer) and Delete (nothing to ask: it was never sent).
 */
export function QueuedMessage(props: {
  model: ChatModel;
  state: ModelState;
  item: OutboxItem;
  onEdit: (item: OutboxItem) => void;
}) {
  const { model, state, item } = props;
  const transfer = state.transfers[item.messageId];
  const name = item.attachment?.facts.name;
  return (
    <li class={`message own pending${item.failed ? ' failed' : ''}`} data-message-id={item.messageId}>
      <div class="bubble">
        {item.kind === 'edit' ? <span class="small muted">Edit of your message</span> : null}
        <QueuedFilePreview model={model} item={item} />
        {item.text ? <p class="text">{item.text}</p> : null}
        {item.failed ? null : (
          <span class="small">
            {transfer && name ? (
              <UploadProgress name={name} transfer={transfer} />
            ) : state.status === 'online' ? (
              'Sending…'
            ) : (
              'Waiting to send…'
            )}
            {item.attachment ? (
              <>
                {' '}
                <button type="button" class="link" onClick={() => void model.removeQueued(item.messageId)}>
                  Cancel
                </button>
              </>
            ) : null}
          </span>
        )}
      </div>
      {item.failed ? (
        <div class="not-sent small" role="alert">
          <span>
            <span aria-hidden="true">⚠ </span>Not sent: {item.failed}
          </span>
          <span class="not-sent-actions">
            <button type="button" class="link" onClick={() => void model.retryQueued(item.messageId)}>
              Retry
            </button>
            {!item.attachment && item.kind !== 'edit' ? (
              <button type="button" class="link" onClick={() => props.onEdit(item)}>
                Edit
              </button>
            ) : null}
            <button type="button" class="link" onClick={() => void model.removeQueued(item.messageId)}>
              Delete
            </button>
          </span>
        </div>
      ) : null}
    </li>
  );
}
