import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatModel } from '../app/model';
import { useModel } from './hooks';

/**
 * Sign out, with *Also remove this browser's messages and keys* for a shared computer. It is ticked when
 * the user has another device, as Signal Desktop's unlink and WhatsApp Web's log out delete what the
 * browser kept: the messages live on elsewhere. It is not ticked when this browser is the user's only
 * device: there its history exists nowhere else (a new device gets none from before it joined), and
 * removing it cannot be undone.
 */
export function SignOutDialog(props: {
  model: ChatModel;
  onCancel: () => void;
  onSignOut: (options: { forget: boolean }) => void;
}) {
  const { model } = props;
  const state = useModel(model);
  const dialog = useRef<HTMLDialogElement>(null);
  const [others, setOthers] = useState<number>();
  const [forget, setForget] = useState(false);
  /** Whether the default is settled: the box waits for the device list, so a click does not race it. */
  const [settled, setSettled] = useState(false);

  useEffect(() => {
    dialog.current?.showModal();
    let current = true;
    model
      .listDevices()
      .then((items) => {
        const count = items.filter((d) => !d.revoked && d.deviceId !== state.deviceId).length;
        if (!current) return;
        setOthers(count);
        setForget(count > 0);
        setSettled(true);
      })
      .catch(() => {
        // Offline: nothing is ticked for the person, who can still tick it.
        if (current) setSettled(true);
      });
    return () => {
      current = false;
    };
  }, []);

  return (
    <dialog ref={dialog} class="sign-out" aria-labelledby="sign-out-title" onClose={props.onCancel}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          props.onSignOut({ forget });
        }}
      >
        <h2 id="sign-out-title">Sign out of Parley?</h2>
        <label class="check">
          <input
            type="checkbox"
            checked={forget}
            disabled={!settled}
            onChange={(e) => setForget(e.currentTarget.checked)}
          />
          Also remove this browser’s messages and keys
        </label>
        <p class={`small ${forget && others === 0 ? 'warning' : 'muted'}`}>
          {forget
            ? others === 0
              ? 'This browser is your only device: your message history is kept nowhere else and will be gone for good.'
              : 'For a computer you share. This browser is removed from your devices; your other devices keep your messages. Signing in here again makes a new device, without the earlier messages.'
            : 'Your messages and keys stay in this browser, encrypted, and show again when you sign in here.'}
        </p>
        <div class="dialog-actions">
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="submit" class={forget ? 'danger' : 'primary'}>
            {forget ? 'Remove and sign out' : 'Sign out'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
