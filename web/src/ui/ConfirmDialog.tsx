import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/**
 * A question that needs an answer before something that cannot be undone: a modal `<dialog>` (focus stays
 * inside, Escape cancels, the page behind is inert), with the safe choice focused first.
 */
export function ConfirmDialog(props: {
  readonly title: string;
  readonly children: ComponentChildren;
  /** The words on the button that does it ("Leave group"). */
  readonly confirm: string;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);
  return (
    <dialog
      ref={dialog}
      class="confirm"
      aria-labelledby="confirm-title"
      aria-describedby="confirm-body"
      onCancel={(e) => {
        e.preventDefault();
        props.onCancel();
      }}
    >
      <h2 id="confirm-title">{props.title}</h2>
      <div id="confirm-body">{props.children}</div>
      <p class="confirm-actions">
        {/* biome-ignore lint/a11y/noAutofocus: the safe answer takes focus, as in every confirmation dialog */}
        <button type="button" autoFocus onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" class="danger" onClick={props.onConfirm}>
          {props.confirm}
        </button>
      </p>
    </dialog>
  );
}
