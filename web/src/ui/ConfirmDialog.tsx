import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * A `<dialog>` shown as a modal once it is on the page, and closed when it goes: pass the ref to it.
 *
 * @example
 * const dialog = useModalDialog();
 * return <dialog ref={dialog}>…</dialog>;
 */
export function useModalDialog() {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);
  return dialog;
}

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
  const dialog = useModalDialog();
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

/** A question for {@link useConfirm}: what it asks, the words on its button, and what a yes does. */
export interface Question {
  readonly title: string;
  readonly body: ComponentChildren;
  readonly confirm: string;
  readonly onConfirm: () => void;
}

/**
 * Asks before something that cannot be undone, in the app's own dialog rather than the browser's
 * `confirm()`: render the element it returns, and call `ask` where the action was.
 *
 * @example
 * const [question, ask] = useConfirm();
 * ask({ title: 'Block Bob?', body: <p>…</p>, confirm: 'Block', onConfirm: () => block() });
 */
export function useConfirm(): [JSX.Element | null, (question: Question) => void] {
  const [question, setQuestion] = useState<Question>();
  const element = question ? (
    <ConfirmDialog
      title={question.title}
      confirm={question.confirm}
      onCancel={() => setQuestion(undefined)}
      onConfirm={() => {
        setQuestion(undefined);
        question.onConfirm();
      }}
    >
      {question.body}
    </ConfirmDialog>
  ) : null;
  return [element, setQuestion];
}
