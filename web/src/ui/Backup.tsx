import { useState } from 'preact/hooks';
import { sizeInWords } from '../app/attachments';
import type { ChatModel } from '../app/model';
import type { ModelState } from '../app/store';
import { useModalDialog } from './ConfirmDialog';
import { useModel } from './hooks';

/** How long a downloaded file's object URL is kept after the click. */
const OBJECT_URL_KEPT_FOR_IN_MS = 60_000;

function when(iso: string | undefined): string {
  if (!iso) return 'not yet';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * The recovery key of a backup just made, shown once: the words, a file to keep them, and no way on until
 * the person says they kept them (as Element does with its security key).
 */
function RecoveryKeyDialog(props: { model: ChatModel; words: readonly string[] }) {
  const dialog = useModalDialog();
  const [saved, setSaved] = useState(false);
  const download = async () => {
    const { recoveryKeyFile } = await import('../../../shared/e2ee/recovery-key');
    const file = recoveryKeyFile({ words: props.words }, new Date());
    const url = URL.createObjectURL(new Blob([file.text], { type: file.mimeType }));
    const link = document.createElement('a');
    link.href = url;
    link.download = file.fileName;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), OBJECT_URL_KEPT_FOR_IN_MS);
  };
  return (
    <dialog
      ref={dialog}
      class="confirm"
      aria-labelledby="recovery-key-title"
      onCancel={(e) => e.preventDefault()}
    >
      <h2 id="recovery-key-title">Your recovery key</h2>
      <p class="small">
        These 12 words open your backup on a new device. Parley never sees them and cannot give them back:
        write them down or keep the file somewhere safe and private.
      </p>
      <ol class="recovery-words" aria-label="Recovery key words">
        {props.words.map((word) => (
          <li key={word}>{word}</li>
        ))}
      </ol>
      <p>
        <button type="button" onClick={() => void download()}>
          Download as a file
        </button>
      </p>
      <label class="small check">
        <input type="checkbox" checked={saved} onChange={(e) => setSaved(e.currentTarget.checked)} /> I have
        kept these words somewhere safe
      </label>
      <p class="confirm-actions">
        <button
          type="button"
          class="primary"
          disabled={!saved}
          onClick={() => props.model.recoveryKeySaved()}
        >
          Done
        </button>
      </p>
    </dialog>
  );
}

/** Restoring from the backup: the recovery key typed or pasted, then progress. */
export function RestoreBackupDialog(props: { model: ChatModel; onClose: () => void }) {
  const state = useModel(props.model);
  const backup = state.backup;
  const dialog = useModalDialog();
  const [typed, setTyped] = useState('');
  const busy = backup?.busy === 'checking-key' || backup?.busy === 'restoring';
  const restored = backup?.restored;
  return (
    <dialog
      ref={dialog}
      class="confirm"
      aria-labelledby="restore-title"
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) props.onClose();
      }}
    >
      <h2 id="restore-title">Restore from your encrypted backup</h2>
      {restored?.done ? (
        <p role="status">
          {restored.messages.toLocaleString('en')} messages restored. This browser keeps the backup up to date
          from now on.
        </p>
      ) : (
        <>
          <label for="recovery-key-input" class="small">
            Your 12-word recovery key
          </label>
          <textarea
            id="recovery-key-input"
            class="recovery-input"
            rows={3}
            value={typed}
            disabled={busy}
            autocomplete="off"
            spellcheck={false}
            onInput={(e) => setTyped(e.currentTarget.value)}
          />
          <p class="small" role="status">
            {backup?.busy === 'checking-key'
              ? 'Checking your recovery key…'
              : backup?.busy === 'restoring'
                ? `Restoring… ${restored?.messages.toLocaleString('en') ?? 0} of ${restored?.total.toLocaleString('en') ?? '…'} messages`
                : ''}
          </p>
          {backup?.busy === 'restoring' && restored?.total ? (
            <progress
              class="history-progress"
              max={restored.total}
              value={restored.messages}
              aria-label="Restoring"
            />
          ) : null}
          {backup?.error ? (
            <p class="error small" role="alert">
              {backup.error}
            </p>
          ) : null}
        </>
      )}
      <p class="confirm-actions">
        {restored?.done ? (
          <button type="button" class="primary" onClick={props.onClose}>
            OK
          </button>
        ) : (
          <>
            <button type="button" disabled={busy} onClick={props.onClose}>
              Cancel
            </button>
            <button
              type="button"
              class="primary"
              disabled={busy || typed.trim() === ''}
              onClick={() => void props.model.restoreBackup(typed)}
            >
              Restore
            </button>
          </>
        )}
      </p>
    </dialog>
  );
}

/** Settings › Encrypted backup. */
export function BackupSection(props: { model: ChatModel; state: ModelState }) {
  const { model } = props;
  const backup = props.state.backup ?? { status: 'off' as const };
  const [restoring, setRestoring] = useState(false);
  const busy = backup.busy !== undefined;
  return (
    <section aria-labelledby="backup-title">
      <h3 id="backup-title">Encrypted backup</h3>
      {backup.recoveryKey ? <RecoveryKeyDialog model={model} words={backup.recoveryKey} /> : null}
      {restoring ? <RestoreBackupDialog model={model} onClose={() => setRestoring(false)} /> : null}
      {backup.status === 'off' ? (
        <>
          <p class="muted small">
            Keep a copy of your messages in Parley’s storage, encrypted under a recovery key only you hold, so
            a new device can bring them back when no other device of yours is at hand. Parley cannot read the
            backup, and cannot open it for you if you lose the key.
          </p>
          <p>
            <button type="button" disabled={busy} onClick={() => void model.turnOnBackup()}>
              {backup.busy === 'turning-on' ? 'Making your recovery key…' : 'Turn on encrypted backup'}
            </button>
          </p>
        </>
      ) : backup.status === 'on' ? (
        <>
          <p class="small" role="status">
            {backup.busy === 'backing-up'
              ? 'Backing up…'
              : `Backed up ${when(backup.updatedAt)}${backup.bytes ? `, ${sizeInWords(backup.bytes)}` : ''}. This browser adds new messages every 15 minutes while Parley is open.`}
          </p>
          <p class="history-actions">
            <button type="button" disabled={busy} onClick={() => void model.backUpNow()}>
              Back up now
            </button>
            <button type="button" disabled={busy} onClick={() => void model.turnOnBackup()}>
              New recovery key
            </button>
            <button type="button" class="danger" disabled={busy} onClick={() => void model.turnOffBackup()}>
              Turn off and delete
            </button>
          </p>
          <p class="muted small">
            A new recovery key seals the whole backup again; the old key stops working.
          </p>
        </>
      ) : (
        <>
          <p class="small">
            Your history is backed up from another of your devices ({when(backup.updatedAt)}). Enter your
            recovery key to restore it here.
          </p>
          <p>
            <button type="button" disabled={busy} onClick={() => setRestoring(true)}>
              Restore from backup
            </button>
          </p>
        </>
      )}
      {backup.error && !restoring ? (
        <p class="error small" role="alert">
          {backup.error}
        </p>
      ) : null}
    </section>
  );
}
