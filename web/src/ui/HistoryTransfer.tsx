import { useState } from 'preact/hooks';
import type { HistoryTransferState } from '../app/history-transfers';
import type { ChatModel } from '../app/model';
import type { ModelState } from '../app/store';
import { RestoreBackupDialog } from './Backup';
import { useModalDialog } from './ConfirmDialog';

const count = (n: number) => n.toLocaleString('en');

/**
 * On a browser that has no history yet: bring it from another of my devices. The card sits above the
 * conversation list, where the grey "sent before this browser joined" lines would otherwise be the first
 * thing a person sees.
 */
export function HistorySourcesCard(props: { model: ChatModel; state: ModelState }) {
  const { state } = props;
  const [restoring, setRestoring] = useState(false);
  const sources = state.historySources ?? [];
  const fromBackup = state.backup?.status === 'elsewhere' && !state.historyAnswered;
  if ((sources.length === 0 && !fromBackup && !restoring) || state.historyTransfer) return null;
  const online = sources.filter((s) => s.online);
  return (
    <section class="history-card" aria-labelledby="history-sources-title">
      {restoring ? <RestoreBackupDialog model={props.model} onClose={() => setRestoring(false)} /> : null}
      <h2 id="history-sources-title" class="history-title">
        Bring your messages to this browser
      </h2>
      <p class="muted small history-text">
        Messages are end-to-end encrypted, so this browser can read only what arrives from now on. Another of
        your devices can send it your history, encrypted to this browser alone
        {fromBackup ? ', or your recovery key can open your encrypted backup' : ''}.
      </p>
      {sources.length > 0 && online.length === 0 ? (
        <p class="small history-text">
          Open Parley on{' '}
          {sources.length === 1 ? (sources[0]?.name ?? 'your other device') : 'another of your devices'}, then
          bring your history from it.
        </p>
      ) : null}
      <div class="history-actions">
        {(online.length > 0 ? online : sources.slice(0, 3)).map((source) => (
          <button
            key={source.deviceId}
            type="button"
            class={source.online ? 'primary' : ''}
            onClick={() => void props.model.askForHistory(source.deviceId)}
          >
            Bring history from {source.name}
          </button>
        ))}
        {fromBackup ? (
          <button type="button" class={online.length > 0 ? '' : 'primary'} onClick={() => setRestoring(true)}>
            Restore from backup
          </button>
        ) : null}
        <button type="button" class="quiet" onClick={() => void props.model.declineHistory()}>
          Not now
        </button>
      </div>
    </section>
  );
}

function progressWords(transfer: HistoryTransferState): string {
  const of = transfer.total ? ` of ${count(transfer.total)}` : '';
  return `${count(transfer.messages)}${of} messages`;
}

/** A transfer's state above the conversation list, on either device, with its way to stop. */
export function HistoryTransferCard(props: { model: ChatModel; transfer: HistoryTransferState }) {
  const { model, transfer } = props;
  // The old device's question is a dialog of its own, outside the list (hidden on a phone in a conversation).
  if (transfer.role === 'send' && transfer.stage === 'confirm') return null;
  const receiving = transfer.role === 'receive';
  const ended = ['done', 'cancelled', 'failed'].includes(transfer.stage);
  let title: string;
  let body: string;
  switch (transfer.stage) {
    case 'waiting':
      title = `Waiting for ${transfer.peer}`;
      body = `Open Parley on ${transfer.peer}: it asks you to approve this browser there.`;
      break;
    case 'confirm':
      title = `Approve on ${transfer.peer}`;
      body = `Check that ${transfer.peer} shows the same code, then approve there.`;
      break;
    case 'moving':
      title = receiving
        ? `Bringing your history from ${transfer.peer}`
        : `Sending your history to ${transfer.peer}`;
      body = `${progressWords(transfer)} so far. ${receiving ? `They appear in your conversations as they arrive. Keep Parley open on ${transfer.peer} until it is done.` : 'Keep Parley open here until it is done.'}`;
      break;
    case 'paused':
      title = receiving
        ? `Bringing your history from ${transfer.peer}`
        : `Sending your history to ${transfer.peer}`;
      body = `Paused at ${progressWords(transfer)}: it goes on from there when both devices are online.`;
      break;
    case 'done':
      title = receiving ? 'Your history is here' : `History sent to ${transfer.peer}`;
      body = receiving
        ? `${count(transfer.messages)} messages came from ${transfer.peer}, still end-to-end encrypted.`
        : `${transfer.peer} has your messages now.`;
      break;
    case 'cancelled':
      title = 'History transfer stopped';
      body = 'Nothing more is sent. What arrived stays.';
      break;
    default:
      title = 'History transfer stopped';
      body = transfer.error ?? 'It cannot go on.';
  }
  const percent = transfer.total
    ? Math.min(100, Math.round((transfer.messages / transfer.total) * 100))
    : undefined;
  return (
    <section class="history-card" aria-labelledby="history-transfer-title" aria-live="polite">
      <h2 id="history-transfer-title" class="history-title">
        {title}
      </h2>
      {transfer.stage === 'confirm' && transfer.code ? <p class="transfer-code">{transfer.code}</p> : null}
      <p class="small history-text">{body}</p>
      {transfer.stage === 'moving' || transfer.stage === 'paused' ? (
        <progress
          class="history-progress"
          max={100}
          {...(percent === undefined ? {} : { value: percent })}
          aria-label={title}
        />
      ) : null}
      <div class="history-actions">
        {ended ? (
          <button type="button" onClick={() => model.dismissHistoryTransfer()}>
            OK
          </button>
        ) : (
          <button type="button" class="quiet" onClick={() => void model.cancelHistoryTransfer()}>
            Cancel
          </button>
        )}
      </div>
    </section>
  );
}

/**
 * The old device's question: send my history to this new browser? Modal, as any request to hand over
 * one's messages should be; the code is what tells the person it is their own browser asking.
 */
export function ApproveTransferDialog(props: { model: ChatModel; transfer: HistoryTransferState }) {
  const { model, transfer } = props;
  const dialog = useModalDialog();
  return (
    <dialog
      ref={dialog}
      class="confirm"
      aria-labelledby="approve-transfer-title"
      aria-describedby="approve-transfer-body"
      onCancel={(e) => {
        e.preventDefault();
        void model.cancelHistoryTransfer();
      }}
    >
      <h2 id="approve-transfer-title">Send your history to {transfer.peer}?</h2>
      <div id="approve-transfer-body">
        <p>
          {transfer.peer} asks for the messages this browser keeps. Approve only if you are signing in there
          yourself and it shows this code:
        </p>
        <p class="transfer-code">{transfer.code}</p>
        <p class="muted small">
          Your history goes encrypted to that browser alone: Parley's servers cannot read it.
        </p>
      </div>
      <p class="confirm-actions">
        {/* biome-ignore lint/a11y/noAutofocus: the safe answer takes focus, as in every confirmation dialog */}
        <button type="button" autoFocus onClick={() => void model.cancelHistoryTransfer()}>
          Don’t send
        </button>
        <button type="button" class="primary" onClick={() => void model.approveHistoryTransfer()}>
          Send history
        </button>
      </p>
    </dialog>
  );
}
